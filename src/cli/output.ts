/**
 * Writing to this process's stdout and stderr when that can fail: a file they were redirected to on a
 * full disk (ENOSPC) or with an I/O error, a pipe whose reader went away (EPIPE). Node reports such a
 * failure as an 'error' event on the stream; unhandled, it was an uncaught exception — a stack trace
 * under a whole line of the minified bundle, and a peer dead at its next log line.
 */
import { writeSync } from 'node:fs'

type Stream = NodeJS.WriteStream & { readonly fd: number }

/** The code of a write error (`ENOSPC`, `EPIPE`), or its message. */
export function errorCode (err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null | undefined)?.code
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err)
}

const guarded = new WeakSet<Stream>()

/** Makes a failed write to `stream` an error its writer sees (flushed, writeLine), not an uncaught exception. */
export function guardOutput (stream: Stream): void {
  if (guarded.has(stream)) return
  guarded.add(stream)
  stream.on('error', () => {})
}

/** Resolves once all written to `stream` so far is out: undefined, or the code of the error that stopped it. */
export async function flushed (stream: Stream): Promise<string | undefined> {
  guardOutput(stream)
  if (stream.destroyed) return stream.errored === null ? undefined : errorCode(stream.errored)
  return await new Promise((resolve) => {
    stream.write('', (err) => { resolve(err === null || err === undefined ? undefined : errorCode(err)) })
  })
}

/** Writes `text` to stdout and waits for it: undefined once written, else the error's code. */
export async function writeStdout (text: string): Promise<string | undefined> {
  guardOutput(process.stdout)
  if (!process.stdout.destroyed) process.stdout.write(text)
  return await flushed(process.stdout)
}

/**
 * A log line to `stream` (stderr), never a throw: once the stream has failed on a file (a full disk), the
 * line goes straight to its descriptor, and is dropped while that fails too — so the log resumes once
 * there is room again. After EPIPE (the reader went away) there is nobody to write to.
 */
export function writeLine (stream: Stream, line: string): void {
  guardOutput(stream)
  if (!stream.destroyed) {
    stream.write(line)
    return
  }
  if (stream.errored === null || errorCode(stream.errored) === 'EPIPE') return
  try {
    writeSync(stream.fd, line)
  } catch {}
}
