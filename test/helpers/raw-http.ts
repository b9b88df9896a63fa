/**
 * One HTTP exchange written byte for byte on a fresh socket: for requests no HTTP client sends (repeated
 * Host or Idempotency-Key headers, a malformed request line), or one still arriving (rawHttpInParts).
 * Resolves with everything the server sent until it closed the connection (send `Connection: close`), or
 * what arrived within `timeoutMs`.
 */
import net from 'node:net'

export function rawHttp (port: number, request: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => { socket.write(request) })
    collect(socket, timeoutMs).then(resolve, reject)
  })
}

/** Everything `socket` receives until the server closes it, or within `timeoutMs`; rejects on a socket error (a reset). */
function collect (socket: net.Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => { data += d })
    socket.on('end', () => { resolve(data) })
    socket.on('error', reject)
    socket.setTimeout(timeoutMs, () => { socket.destroy(); resolve(data) })
  })
}

/** Whether a new TCP connection to `port` is accepted (`connected`) or refused (its error code: ECONNREFUSED). */
export function connectOutcome (port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve('connected') })
    socket.once('error', (err: NodeJS.ErrnoException) => { resolve(err.code ?? err.message) })
  })
}

export interface RequestInParts {
  /** Sends the rest of the request; resolves as rawHttp does (`timeoutMs` counted from the first part). */
  finish(rest: string): Promise<string>
}

/**
 * A request whose first part (`head`: part of the headers, or of the body) is sent now and the rest later:
 * a request the server has begun to receive. Resolves once the first part is handed to the kernel.
 */
export function rawHttpInParts (port: number, head: string, timeoutMs = 10_000): Promise<RequestInParts> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.off('error', reject)
      const answer = collect(socket, timeoutMs)
      answer.catch(() => {}) // observed by finish()
      socket.write(head, () => {
        resolve({ finish: async (rest) => { socket.write(rest); return await answer } })
      })
    })
    socket.once('error', reject)
  })
}
