/**
 * A BENCHMARKS.md section that keeps one run per configuration side by side (e.g. 20 and 30 peers), where
 * other sections hold only their last run. The runs are stored in the section itself, as JSON in an HTML
 * comment: a new run replaces the run with its key and leaves the others.
 */
import { readSection } from './report.ts'

export interface KeptRun<F> {
  /** Runs with the same key replace each other (e.g. `30x2`: 30 peers, 2 writes/s each). */
  key: string
  /** Version of the figures' shape: runs stored with another are dropped, not misread. */
  schema: number
  /** When it ran, `YYYY-MM-DD HH:MM` UTC. */
  at: string
  command: string
  /** The build measured (git commit, `+dirty` for uncommitted changes). */
  build: string
  /** Load average (1, 5, 15 min) when it started. */
  loadBefore: string
  figures: F
}

const COMMENT = /<!-- runs: (.*) -->/

/** The runs stored in `name`'s section with figures of shape `schema`. */
export function keptRuns<F> (name: string, schema: number): Array<KeptRun<F>> {
  const json = COMMENT.exec(readSection(name) ?? '')?.[1]
  if (json === undefined) return []
  let parsed: unknown
  try { parsed = JSON.parse(json) } catch { return [] }
  if (!Array.isArray(parsed)) return []
  return parsed.filter((r): r is KeptRun<F> => typeof r === 'object' && r !== null && typeof r.key === 'string' && r.schema === schema && typeof r.figures === 'object')
}

/** `runs` with `run` in place of the one with its key, sorted by `order`. */
export function keepRun<F> (runs: ReadonlyArray<KeptRun<F>>, run: KeptRun<F>, order: (a: KeptRun<F>, b: KeptRun<F>) => number): Array<KeptRun<F>> {
  return [...runs.filter(r => r.key !== run.key), run].sort(order)
}

/** The comment that stores `runs` in a section (on one line; `>` escaped so no string can end the comment). */
export function runsComment (runs: ReadonlyArray<KeptRun<unknown>>): string {
  return `<!-- runs: ${JSON.stringify(runs).replaceAll('>', '\\u003e')} -->`
}
