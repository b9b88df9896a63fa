/**
 * Prometheus metrics: a registry per peer (several peers may share a process in tests), filled at scrape
 * time from the peer's own counters and latency histograms, so nothing is counted twice and the protocol
 * code carries no metric library. Node's process metrics keep their standard names
 * (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, …) so stock dashboards find them.
 */
import { Counter, Gauge, Histogram, Registry } from './prom.js'
import type { Peer, PeerStats } from '../api.js'
import type { HistogramSnapshot } from '../core/histogram.js'
import { MURMUR_VERSION } from '../version.js'
import { SPECS } from './metric-specs.js'
import type { HttpCounters, Snapshot } from './metric-specs.js'
import { registerProcessMetrics } from './process-metrics.js'

export type { HttpCounters } from './metric-specs.js'

export interface Metrics {
  registry: Registry
  /** Records one HTTP request's duration (seconds) under its route name. */
  observeHttp(route: string, seconds: number): void
  /** The exposition text: every metric, read from one `peer.stats()` taken for the whole scrape. */
  scrape(): Promise<string>
  /** `peer.stats()` as this scrape took it (a fresh one outside a scrape), for metrics registered beside ours. */
  peerStats(): PeerStats
}

/** Buckets of HTTP request durations, in seconds: a local read takes ~1 ms, a write waits for fsync. */
const HTTP_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/** Latency histograms of `peer.stats().latency` (milliseconds there, seconds here as Prometheus wants). */
const LATENCIES: ReadonlyArray<{ name: string, help: string, read: (s: Snapshot) => HistogramSnapshot | undefined }> = [
  { name: 'murmur_write_ack_seconds', help: 'Local writes, from the call to the acknowledgement (durable on this peer).', read: s => s.stats.latency.writeAckMs },
  { name: 'murmur_anti_entropy_round_seconds', help: 'Anti-entropy rounds this peer started, from the first digest to the last diff applied.', read: s => s.stats.latency.antiEntropyRoundMs },
  { name: 'murmur_store_write_seconds', help: 'Batches of writes, from the store call to durable on disk (the fsync latency).', read: s => s.stats.latency.storeWriteMs },
  { name: 'murmur_probe_rtt_seconds', help: 'Round trip of direct probes (ping to ack): what liveness checks cost this peer, where hostile load shows first.', read: s => s.m.probeRtt as HistogramSnapshot | undefined }
]

/**
 * A histogram kept elsewhere (a HistogramSnapshot in ms), in the shape prom-client's registry formats:
 * cumulative `_bucket{le}` samples, `_sum` and `_count`. prom-client's own Histogram can only observe
 * values one by one, not take bucket counts, hence this small adapter.
 */
interface SampleOut { metricName: string, labels: Record<string, string | number>, value: number }
interface MetricOut { name: string, help: string, type: 'histogram', values: SampleOut[], aggregator: 'sum' }

export function snapshotHistogram (name: string, help: string, read: () => HistogramSnapshot | undefined): { name: string, get: () => Promise<MetricOut> } {
  return {
    name,
    get: async () => {
      const h = read() ?? { bounds: [], counts: [0], sum: 0, count: 0 }
      const values: SampleOut[] = []
      let cumulative = 0
      h.bounds.forEach((bound, i) => {
        cumulative += h.counts[i] ?? 0
        values.push({ metricName: `${name}_bucket`, labels: { le: bound / 1000 }, value: cumulative })
      })
      values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: h.count })
      values.push({ metricName: `${name}_sum`, labels: {}, value: h.sum / 1000 })
      values.push({ metricName: `${name}_count`, labels: {}, value: h.count })
      return { name, help, type: 'histogram', values, aggregator: 'sum' }
    }
  }
}

export function createMetrics (peer: Peer, http: HttpCounters): Metrics {
  const registry = new Registry()
  // One peer.stats() per scrape, shared by every metric's collect(). peer.stats() is not cheap (it lists
  // the transport's peers, decoding every id): read once per metric, it was 1.4 % of the 30-peer soak's
  // CPU (issue 14). prom-client awaits each metric in turn, so a snapshot cleared at the next microtask
  // (as before) was taken again for nearly every metric; it now lives as long as a scrape.
  let scrapes = 0
  let taken: PeerStats | undefined
  const peerStats = (): PeerStats => {
    if (scrapes === 0) return peer.stats()
    taken ??= peer.stats()
    return taken
  }
  const current = (): Snapshot => {
    const stats = peerStats()
    return { peer, stats, m: stats.membership, t: stats.transport, r: stats.replication, st: stats.storage ?? {}, http }
  }
  for (const spec of SPECS) {
    const labelNames = spec.labels ?? []
    if (spec.type === 'counter') {
      new Counter({ name: spec.name, help: spec.help, labelNames, registers: [registry], collect () { this.reset(); for (const [l, v] of spec.read(current())) this.inc(l, v) } })
    } else {
      new Gauge({ name: spec.name, help: spec.help, labelNames, registers: [registry], collect () { this.reset(); for (const [l, v] of spec.read(current())) this.set(l, v) } })
    }
  }
  for (const l of LATENCIES) {
    // registerMetric is typed for prom-client's own classes; the registry only calls `name` and `get()`.
    registry.registerMetric(snapshotHistogram(l.name, l.help, () => l.read(current())) as unknown as Histogram)
  }
  new Gauge({
    name: 'murmur_build_info',
    help: 'Always 1; the labels say which build runs: murmur version and Node version.',
    labelNames: ['version', 'node'],
    registers: [registry],
    collect () { this.set({ version: MURMUR_VERSION, node: process.version }, 1) }
  })
  const httpDuration = new Histogram({
    name: 'murmur_http_request_duration_seconds',
    help: 'HTTP requests of the peer API, from the request to the end of the answer, by route (event streams excluded).',
    labelNames: ['route'],
    buckets: HTTP_BUCKETS_S,
    registers: [registry]
  })
  registerProcessMetrics(registry)
  const scrape = async (): Promise<string> => {
    scrapes++
    try {
      return await registry.metrics()
    } finally {
      if (--scrapes === 0) taken = undefined
    }
  }
  return { registry, observeHttp: (route, seconds) => { httpDuration.observe({ route }, seconds) }, scrape, peerStats }
}
