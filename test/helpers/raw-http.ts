/**
 * One HTTP exchange written byte for byte on a fresh socket: for requests no HTTP client sends (repeated
 * Host or Idempotency-Key headers, a malformed request line). Resolves with everything the server sent
 * until it closed the connection (send `Connection: close`), or what arrived within `timeoutMs`.
 */
import net from 'node:net'

export function rawHttp (port: number, request: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => { socket.write(request) })
    let data = ''
    socket.setEncoding('utf8')
    socket.on('data', (d: string) => { data += d })
    socket.on('end', () => { resolve(data) })
    socket.on('error', reject)
    socket.setTimeout(timeoutMs, () => { socket.destroy(); resolve(data) })
  })
}
