/**
 * One cleanup list for a benchmark run: child processes, network namespaces and temp dirs are registered
 * as they are created and released on every way out — normal return, thrown error, Ctrl-C, SIGTERM, SIGHUP.
 *
 * Actions are synchronous on purpose: `process.on('exit')` cannot await, and SIGKILL, `ip netns del` and
 * `rmSync` are all synchronous, so the same list works from every exit path. They run last-in first-out,
 * so processes are killed before the namespaces they live in are deleted.
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { signalExitCode } from '../../lib/signal-exit.ts'

type Action = () => void

const actions: Array<{ name: string, run: Action }> = []
let installed = false

/** Registers `run` and returns a function that runs it now (once) and unregisters it. */
export function onTeardown (name: string, run: Action): () => void {
  installSignalHandlers()
  const entry = { name, run }
  actions.push(entry)
  return () => {
    const i = actions.indexOf(entry)
    if (i < 0) return
    actions.splice(i, 1)
    safely(entry)
  }
}

/** Runs every registered action, newest first. Idempotent. */
export function teardownAll (): void {
  while (actions.length > 0) safely(actions.pop() as { name: string, run: Action })
}

/** SIGKILLs `proc` at teardown unless it already exited; returns the unregister-and-kill function. */
export function killOnTeardown (name: string, proc: ChildProcess): () => void {
  const release = onTeardown(name, () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
  })
  proc.once('exit', () => { release() })
  return release
}

/** A temp dir removed at teardown. */
export function benchTempDir (prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  onTeardown(`rm ${dir}`, () => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

function safely (entry: { name: string, run: Action }): void {
  try {
    entry.run()
  } catch (err) {
    process.stderr.write(`teardown "${entry.name}" failed: ${err instanceof Error ? err.message : String(err)}\n`)
  }
}

/**
 * Ctrl-C, SIGTERM, SIGHUP and exit run the teardown list. Installed by the first onTeardown, and by run.ts before
 * a bench starts: until a handler is installed a signal kills the process outright, and one during the
 * build of a network-namespace lab (seconds of `ip` calls, before its onTeardown) left the lab behind.
 */
export function installSignalHandlers (): void {
  if (installed) return
  installed = true
  process.on('exit', teardownAll)
  // SIGHUP: the terminal closed (or the ssh session dropped). Its default action ends the bench at once,
  // skipping the exit hook, and the peers, which take SIGHUP as "reload", ran on with the temp dirs.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: cleaning up\n`)
      teardownAll()
      process.exit(signalExitCode(signal))
    })
  }
}
