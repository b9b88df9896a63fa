/**
 * "Did you mean": the known name a mistyped one is closest to, for the messages about unknown flags,
 * settings and environment variables.
 */

/** The name of `known` at most two edits from `name` (the nearest; the first of equals), if any. */
export function closest (name: string, known: Iterable<string>): string | undefined {
  // Quadratic in the lengths: a pasted blob as a flag is only called unknown.
  if (name.length > 64) return undefined
  let best: { name: string, d: number } | undefined
  for (const k of known) {
    const d = editDistance(name, k)
    if (best === undefined || d < best.d) best = { name: k, d }
  }
  return best !== undefined && best.d <= 2 ? best.name : undefined
}

/** Edit distance (insertions, deletions, substitutions, adjacent transpositions) between two short names. */
function editDistance (a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i === 0 ? j : j === 0 ? i : 0))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min((d[i - 1]?.[j] ?? 0) + 1, (d[i]?.[j - 1] ?? 0) + 1, (d[i - 1]?.[j - 1] ?? 0) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, (d[i - 2]?.[j - 2] ?? 0) + 1)
      ;(d[i] as number[])[j] = v
    }
  }
  return d[a.length]?.[b.length] ?? 0
}

