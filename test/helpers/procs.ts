// The process helpers are shared with the scripts (partition-heal, benchmarks, soak).
import { spawn } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { NODE, ROOT } from '../../scripts/lib/peers.ts'
export * from '../../scripts/lib/peers.ts'

/** Pids of the processes whose command line mentions `text` (a run's temp dir: what it left running). */
export function processesWith (text: string): string[] {
  return readdirSync('/proc').filter(d => /^\d+$/.test(d)).filter((pid) => {
    try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text) } catch { return false }
  })
}

/**
 * Runs `node <script> <args>` with the load of the module whose URL ends with `module` held back for 3 s
 * (test/fixtures/slow-module-hook.mjs), sends it `signal` while that module loads, and resolves with how it
 * ended and what it wrote: a signal at a known point of a script's start-up, not a guess from elapsed time.
 */
export async function signalWhileLoading (script: string, args: readonly string[], module: string, signal: NodeJS.Signals): Promise<{ code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }> {
  const hook = new URL('../fixtures/slow-module-hook.mjs', import.meta.url).pathname
  const child = spawn(NODE, ['--import', hook, script, ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLOW_MODULE: module, SLOW_MODULE_MS: '3000' }
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => { child.on('exit', (code, sig) => { resolve({ code, signal: sig }) }) })
  const deadline = Date.now() + 30_000
  while (!stderr.includes('slow-module: loading') && Date.now() < deadline && child.exitCode === null) await new Promise(resolve => setTimeout(resolve, 20))
  if (!stderr.includes('slow-module: loading')) child.kill('SIGKILL')
  else child.kill(signal)
  return { ...await exited, stdout, stderr }
}
