/**
 * Node's standard `process_*` and `nodejs_*` metrics: prom-client's default collectors, but not its
 * event-loop lag percentiles (`nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds`). Those come
 * from a sampling monitor that wakes an idle process every 10 ms unless told otherwise (every 50 ms as murmur
 * ran it, beside a monitor of its own: ~0.1 % of a core per idle peer, a fifth of a meshed idle peer's CPU;
 * issue 11), and they include the sampling interval itself. `murmur_event_loop_delay_*` report the delay
 * from the protocol's own timers instead (core/event-loop.ts). `nodejs_eventloop_lag_seconds`, the lag of a
 * callback queued at the scrape, stays: it costs nothing between scrapes.
 */
/// <reference path="./prom-client-collectors.d.ts" />
import { Gauge } from './prom.js'
import type { Registry } from './prom.js'
import gc from 'prom-client/lib/metrics/gc.js'
import heapSizeAndUsed from 'prom-client/lib/metrics/heapSizeAndUsed.js'
import heapSpacesSizeAndUsed from 'prom-client/lib/metrics/heapSpacesSizeAndUsed.js'
import osMemoryHeap from 'prom-client/lib/metrics/osMemoryHeap.js'
import processCpuTotal from 'prom-client/lib/metrics/processCpuTotal.js'
import processHandles from 'prom-client/lib/metrics/processHandles.js'
import processMaxFileDescriptors from 'prom-client/lib/metrics/processMaxFileDescriptors.js'
import processOpenFileDescriptors from 'prom-client/lib/metrics/processOpenFileDescriptors.js'
import processRequests from 'prom-client/lib/metrics/processRequests.js'
import processResources from 'prom-client/lib/metrics/processResources.js'
import processStartTime from 'prom-client/lib/metrics/processStartTime.js'
import version from 'prom-client/lib/metrics/version.js'

const COLLECTORS = [processCpuTotal, processStartTime, osMemoryHeap, processOpenFileDescriptors, processMaxFileDescriptors, processResources, processHandles, processRequests, heapSizeAndUsed, heapSpacesSizeAndUsed, version, gc]

/** Registers the process and runtime metrics in `registry`. */
export function registerProcessMetrics (registry: Registry): void {
  for (const collect of COLLECTORS) collect(registry, {})
  new Gauge({
    name: 'nodejs_eventloop_lag_seconds',
    help: 'Lag of event loop in seconds: how long a callback queued at this scrape waited to run.',
    registers: [registry],
    async collect () {
      const queued = performance.now()
      await new Promise<void>((resolve) => { setImmediate(resolve) })
      this.set((performance.now() - queued) / 1000)
    }
  })
}
