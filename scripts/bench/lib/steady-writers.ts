/**
 * The soak's write workload for a benchmark: every peer PUTs unique keys into one doc at a steady rate,
 * the peers staggered over the interval. A write is acknowledged on HTTP 200 (murmur answers once it is
 * durable); anything else is a failure. Counts for one measuring window: the writes started in it, and
 * the writes whose answer arrived in it, with their latency.
 */
import { paced } from '../../lib/paced.ts'
import { putKv } from './murmur-api.ts'
import type { ApiTarget } from './murmur-api.ts'

export interface WriteTarget extends ApiTarget {
  readonly name: string
}

export interface WindowCounts {
  /** Writes sent inside the window. */
  attempts: number
  /** Writes whose 200 arrived inside the window, and their latency (sent → answered), ms. */
  acked: number
  latenciesMs: number[]
  /** Writes whose failure arrived inside the window. */
  failed: number
}

export class SteadyWriters {
  attempts = 0
  acked = 0
  failed = 0
  inFlight = 0
  /** Failures of the whole run by kind: `http <status>`, `timeout`, `error <name>`. */
  readonly failures = new Map<string, number>()
  readonly window: WindowCounts = { attempts: 0, acked: 0, latenciesMs: [], failed: 0 }
  private windowStart: number | undefined
  private windowEnd: number | undefined
  private running = false
  private loops: Array<Promise<void>> = []
  private readonly targets: readonly WriteTarget[]
  private readonly doc: string
  private readonly perSecond: number

  constructor (targets: readonly WriteTarget[], doc: string, perSecond: number) {
    this.targets = targets
    this.doc = doc
    this.perSecond = perSecond
  }

  start (): void {
    this.running = true
    this.loops = this.targets.map(async t => { await this.loop(t) })
  }

  /** Opens (`at`: performance.now()) the window the `window` counts are for. */
  openWindow (at: number): void {
    this.windowStart = at
  }

  closeWindow (at: number): void {
    this.windowEnd = at
  }

  /** Stops sending writes and waits for the ones in flight. */
  async stop (): Promise<void> {
    this.running = false
    await Promise.all(this.loops)
  }

  private inWindow (t: number): boolean {
    return this.windowStart !== undefined && t >= this.windowStart && (this.windowEnd === undefined || t < this.windowEnd)
  }

  private async loop (t: WriteTarget): Promise<void> {
    await paced(this.perSecond, () => this.running, async (n) => {
      const started = performance.now()
      this.attempts++
      if (this.inWindow(started)) this.window.attempts++
      this.inFlight++
      let outcome: string
      try {
        const r = await putKv(t, this.doc, `${t.name}-${n}`, { writer: t.name, n, at: Date.now() })
        outcome = r.status === 200 ? 'ok' : `http ${r.status}`
      } catch (err) {
        const name = err instanceof Error ? err.name : 'unknown'
        outcome = name === 'TimeoutError' ? 'timeout' : `error ${name}`
      }
      this.inFlight--
      this.record(outcome, started, performance.now())
    })
  }

  private record (outcome: string, started: number, done: number): void {
    if (outcome === 'ok') {
      this.acked++
      if (this.inWindow(done)) {
        this.window.acked++
        this.window.latenciesMs.push(done - started)
      }
    } else {
      this.failed++
      if (this.inWindow(done)) this.window.failed++
      this.failures.set(outcome, (this.failures.get(outcome) ?? 0) + 1)
    }
  }
}
