/** Reads Prometheus text-format samples (murmur's `/metrics`) for before/after differences. */

export interface PromSample {
  name: string
  labels: Record<string, string>
  value: number
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

export function parseProm (text: string): PromSample[] {
  const out: PromSample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = LINE.exec(line)
    if (m === null) continue
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1] as string] = l[2] as string
    out.push({ name: m[1] as string, labels, value: Number(m[3]) })
  }
  return out
}

/** Sum of `name`'s samples whose labels include every pair of `match`. */
export function sumProm (samples: readonly PromSample[], name: string, match: Record<string, string> = {}): number {
  let total = 0
  for (const s of samples) {
    if (s.name !== name) continue
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value
  }
  return total
}

/** Per label value of `by`: the sum of `name`'s samples matching `match`. */
export function sumPromBy (samples: readonly PromSample[], name: string, by: string, match: Record<string, string> = {}): Record<string, number> {
  const out: Record<string, number> = {}
  for (const s of samples) {
    if (s.name !== name || !Object.entries(match).every(([k, v]) => s.labels[k] === v)) continue
    const key = s.labels[by] ?? ''
    out[key] = (out[key] ?? 0) + s.value
  }
  return out
}

/**
 * The `q`-quantile of a Prometheus histogram given as cumulative counts by upper bound (`le` label value
 * → count), interpolated linearly within its bucket as PromQL's histogram_quantile does. Its precision is
 * the bucket's width; a quantile in the +Inf bucket answers the largest finite bound. NaN when empty.
 */
export function histogramQuantile (cumulative: Record<string, number>, q: number): number {
  const rows = Object.entries(cumulative).map(([le, n]) => ({ le: le === '+Inf' ? Infinity : Number(le), n })).sort((a, b) => a.le - b.le)
  const total = rows.at(-1)?.n ?? 0
  if (total <= 0) return Number.NaN
  const rank = q * total
  let lower = 0
  let below = 0
  for (const { le, n } of rows) {
    if (n >= rank) return le === Infinity ? lower : lower + (le - lower) * (rank - below) / Math.max(1, n - below)
    lower = le
    below = n
  }
  return lower
}
