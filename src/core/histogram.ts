/**
 * A fixed-bucket latency histogram with no dependencies: protocol and storage code record durations in
 * it, and the metrics layer exports its snapshot in Prometheus' histogram format. Recording is O(buckets)
 * with no allocation, so it can sit on a write path; memory is one number per bucket, whatever the traffic.
 */

/**
 * Upper bounds in milliseconds: from a sub-millisecond in-memory write to a 30 s anti-entropy round
 * (roughly ×2.5 per step, as Prometheus' own default buckets).
 */
export const LATENCY_BUCKETS_MS: readonly number[] = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000]

export interface HistogramSnapshot {
  /** Upper bounds (inclusive) of the buckets, ascending; an implicit +Inf bucket follows. */
  bounds: readonly number[]
  /** Observations per bucket, not cumulative; one more entry than `bounds` (the +Inf bucket). */
  counts: number[]
  /** Sum of all observations. */
  sum: number
  count: number
}

export class Histogram {
  private readonly counts: number[]
  private sum = 0
  private count = 0

  constructor (private readonly bounds: readonly number[] = LATENCY_BUCKETS_MS) {
    this.counts = new Array<number>(bounds.length + 1).fill(0)
  }

  observe (value: number): void {
    if (!Number.isFinite(value) || value < 0) return
    let i = 0
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i++
    this.counts[i] = (this.counts[i] ?? 0) + 1
    this.sum += value
    this.count++
  }

  snapshot (): HistogramSnapshot {
    return { bounds: this.bounds, counts: [...this.counts], sum: this.sum, count: this.count }
  }
}
