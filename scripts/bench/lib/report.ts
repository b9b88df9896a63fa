/**
 * Shared plumbing for benchmarks: progress on stderr, a machine description, percentiles, and
 * BENCHMARKS.md sections replaced in place (each bench owns the text between its markers).
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

export function progress (message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`)
}

export function machine (): string {
  const cpus = os.cpus()
  const gib = (os.totalmem() / 2 ** 30).toFixed(0)
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${gib} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`
}

export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] as number
}

export const median = (values: readonly number[]): number => percentile(values, 50)

export function round (value: number, digits = 0): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/** A markdown table from rows of cells. */
export function table (header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const line = (cells: ReadonlyArray<string | number>): string => `| ${cells.map(String).join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

const BENCHMARKS_MD = path.join(ROOT, 'BENCHMARKS.md')
const markers = (name: string): { start: string, end: string } => ({ start: `<!-- bench:${name}:start -->`, end: `<!-- bench:${name}:end -->` })

/** The current text of `name`'s section of BENCHMARKS.md (between its markers), if it has one. */
export function readSection (name: string): string | undefined {
  if (!existsSync(BENCHMARKS_MD)) return undefined
  const text = readFileSync(BENCHMARKS_MD, 'utf8')
  const { start, end } = markers(name)
  const i = text.indexOf(start)
  const j = text.indexOf(end)
  return i >= 0 && j > i ? text.slice(i + start.length, j) : undefined
}

/** Replaces (or appends) the section of BENCHMARKS.md that belongs to `name`. */
export function writeSection (name: string, title: string, command: string, body: string): void {
  const file = BENCHMARKS_MD
  const { start, end } = markers(name)
  const section = [
    start,
    `## ${title}`,
    '',
    `Command: \`${command}\``,
    '',
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}.`,
    '',
    body.trim(),
    end
  ].join('\n')
  let text = existsSync(file)
    ? readFileSync(file, 'utf8')
    : '# Benchmarks\n\nFigures are written by `npm run bench -- <name>`; each section names its command and machine.\n'
  const i = text.indexOf(start)
  const j = text.indexOf(end)
  if (i >= 0 && j > i) text = text.slice(0, i) + section + text.slice(j + end.length)
  else text = `${text.trimEnd()}\n\n${section}\n`
  writeFileSync(file, text)
  progress(`BENCHMARKS.md: section "${name}" updated`)
}

/** A bad option: run.ts prints its message on one line and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}
