/** Prints line coverage per source directory from coverage/coverage-summary.json (written by `npm test`). */
import { readFileSync } from 'node:fs'
import path from 'node:path'

interface Totals { lines: { total: number, covered: number } }
const file = path.resolve('coverage', 'coverage-summary.json')
const summary = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Totals>
const dirs = new Map<string, { total: number, covered: number }>()
for (const [name, t] of Object.entries(summary)) {
  if (name === 'total') continue
  const rel = path.relative(process.cwd(), name)
  const dir = path.dirname(rel)
  const d = dirs.get(dir) ?? { total: 0, covered: 0 }
  d.total += t.lines.total
  d.covered += t.lines.covered
  dirs.set(dir, d)
}
console.log('\nline coverage by directory')
for (const [dir, d] of [...dirs].sort()) {
  const pct = d.total === 0 ? 100 : (100 * d.covered) / d.total
  console.log(`  ${dir.padEnd(20)} ${pct.toFixed(1).padStart(5)} %  (${d.covered}/${d.total} lines)`)
}
