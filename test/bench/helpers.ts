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

/**
 * Runs `npm run bench -- <bench> --quick` with its own TMPDIR (whatever the run leaves behind is there, and
 * its peers' data dirs name it), SIGTERMs it once `started` of its peers are running (the others still
 * starting, before their banners), and expects exit 143 with no process left and the temp dir empty.
 */
export async function expectCleanStopWhileStarting (bench: string, started: number): Promise<void> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), `murmur-${bench}-test-`))
  try {
    const child = spawn(NODE, [path.join(ROOT, 'scripts', 'bench', 'run.ts'), bench, '--quick'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const code = new Promise<number | null>((resolve) => { child.on('exit', (c) => { resolve(c) }) })
    const deadline = Date.now() + 30_000
    while (processesWith(tmp).length < started && Date.now() < deadline && child.exitCode === null) await new Promise(resolve => setTimeout(resolve, 10))
    expect(processesWith(tmp).length, stderr).toBeGreaterThanOrEqual(started)
    child.kill('SIGTERM')
    expect(await code).toBe(143)
    expect(processesWith(tmp)).toEqual([])
    expect(readdirSync(tmp)).toEqual([])
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}
