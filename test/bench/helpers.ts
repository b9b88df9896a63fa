/** Shared by the benchmark tests: option refusals, and a benchmark stopped while its peers start. */
import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { expect } from 'vitest'
import { UsageError } from '../../scripts/bench/lib/report.ts'
import { NODE, ROOT, processesWith } from '../helpers/procs.js'

/** The message `parse` refuses `args` with (a UsageError: one line, exit 2); throws if it accepts them. */
export function refusal (parse: (args: string[]) => unknown, args: string[]): string {
  try {
    parse(args)
  } catch (err) {
    if (err instanceof UsageError) return err.message
    throw err
  }
  throw new Error(`accepted: ${args.join(' ')}`)
}

/** How the bench is stopped: by default SIGTERM to it alone, expecting exit 143. */
export interface StopBy {
  signal: NodeJS.Signals
  code: number
  /** To its whole process group, peers included, as a closed terminal sends SIGHUP (the bench runs detached). */
  group?: boolean
}

/**
 * Runs `npm run bench -- <bench> --quick` with its own TMPDIR (whatever the run leaves behind is there, and
 * its peers' data dirs name it), signals it once `started` of its peers are running (the others still
 * starting, before their banners), and expects `stop.code` with no process left and the temp dir empty.
 */
export async function expectCleanStopWhileStarting (bench: string, started: number, stop: StopBy = { signal: 'SIGTERM', code: 143 }): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), `murmur-${bench}-test-`))
  const group = stop.group === true
  const child = spawn(NODE, [path.join(ROOT, 'scripts', 'bench', 'run.ts'), bench, '--quick'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp }, detached: group })
  try {
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const code = new Promise<number | null>((resolve) => { child.on('exit', (c, signal) => { resolve(c ?? (signal === null ? null : -1)) }) })
    const deadline = Date.now() + 30_000
    while (processesWith(tmp).length < started && Date.now() < deadline && child.exitCode === null) await new Promise(resolve => setTimeout(resolve, 10))
    expect(processesWith(tmp).length, stderr).toBeGreaterThanOrEqual(started)
    if (group) process.kill(-(child.pid as number), stop.signal)
    else child.kill(stop.signal)
    expect(await code, stderr).toBe(stop.code)
    // Peers take a moment to die of the SIGKILL the bench sent them on its way out.
    const gone = Date.now() + 5_000
    while (processesWith(tmp).length > 0 && Date.now() < gone) await new Promise(resolve => setTimeout(resolve, 50))
    expect(processesWith(tmp)).toEqual([])
    expect(readdirSync(tmp)).toEqual([])
  } finally {
    for (const pid of processesWith(tmp)) process.kill(Number(pid), 'SIGKILL')
    rmSync(tmp, { recursive: true, force: true })
  }
}
