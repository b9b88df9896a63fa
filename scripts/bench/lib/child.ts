/** Small helpers for reading a child process's output as it arrives. */
import type { ChildProcess } from 'node:child_process'
import type { Readable } from 'node:stream'

/** Resolves true once `ready()` holds, false if the process exits first or `timeoutMs` passes. */
export function waitForOutput (proc: ChildProcess, ready: () => boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (value: boolean): void => {
      clearTimeout(timer)
      clearInterval(poll)
      proc.off('exit', onExit)
      resolve(value)
    }
    const onExit = (): void => { done(ready()) }
    // Output arrives by 'data' events; this 10 ms check is only the latency of noticing it is complete.
    const poll = setInterval(() => { if (ready()) done(true) }, 10)
    const timer = setTimeout(() => { done(ready()) }, timeoutMs)
    proc.once('exit', onExit)
  })
}

/** Calls `onLine` for each complete line of `stream`, stamped with performance.now() at its arrival. */
export function onLines (stream: Readable | null, onLine: (line: string, at: number) => void): void {
  let partial = ''
  stream?.on('data', (d: Buffer) => {
    const at = performance.now()
    const lines = (partial + d.toString()).split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) onLine(line, at)
  })
}
