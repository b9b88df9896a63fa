/**
 * `npm run build`: tsc's output and the bundles (build-bundles.ts) are built into a staging folder beside
 * dist/ (same depth, so relative paths and source maps hold), then moved into dist/ file by file with
 * rename, which replaces each file at once; files the new build no longer has are removed last.
 *
 * Why not delete dist/ and build into it: every `npm start`, `npm run soak`, `partition-heal` and `bench`
 * builds first, and a run already going (a soak restarting a killed peer, a partition-heal round restarting
 * one, a demo) found dist/ gone or half written for the seconds the build took: its peer "exited during
 * start-up" and the run failed. Now every file of dist/ is there throughout, old or new.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import { ROOT, buildBundles } from './build-bundles.ts'

const DIST = path.join(ROOT, 'dist')
const NOTES = path.join(ROOT, 'examples', 'chat-counter', 'public', 'notes.js')
const TSC = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')

/** Every file under `dir`, as paths relative to it. */
function filesUnder (dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(prefix, e.name)
    return e.isDirectory() ? filesUnder(dir, rel) : [rel]
  })
}

/** Moves every file of `stage` into `dist` (each replaced at once), then removes what `stage` did not have. */
function publish (stage: string, dist: string): void {
  const fresh = filesUnder(stage)
  for (const rel of fresh) {
    mkdirSync(path.dirname(path.join(dist, rel)), { recursive: true })
    renameSync(path.join(stage, rel), path.join(dist, rel))
  }
  const keep = new Set(fresh)
  for (const rel of filesUnder(dist)) if (!keep.has(rel)) rmSync(path.join(dist, rel), { force: true })
}

const started = Date.now()
// Beside dist/, so that tsc's and esbuild's relative source-map paths are those of dist/.
const stage = mkdtempSync(path.join(ROOT, '.dist-build-'))
try {
  const tsc = spawnSync(process.execPath, [TSC, '-p', path.join(ROOT, 'tsconfig.json'), '--outDir', stage], { cwd: ROOT, stdio: 'inherit' })
  if (tsc.status !== 0) {
    process.stderr.write(`build: tsc failed (${tsc.status === null ? `signal ${String(tsc.signal)}` : `exit ${tsc.status}`}); dist/ left as it was\n`)
    process.exitCode = 1
  } else {
    const notes = path.join(stage, '.notes.js')
    const built = await buildBundles(stage, notes)
    renameSync(notes, NOTES)
    publish(stage, DIST)
    // On stderr: `npm pack --json` runs this (prepare) and its stdout must stay the JSON it prints.
    process.stderr.write(`built in ${Date.now() - started} ms (tsc, then ${built})\n`)
  }
} finally {
  rmSync(stage, { recursive: true, force: true })
}
