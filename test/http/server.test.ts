/** startHttpServer: requests Node refuses before any handler runs still get an answer and are counted. */
import net from 'node:net'
import { afterAll, describe, expect, test } from 'vitest'
import { startHttpServer } from '../../src/http/index.js'
import type { RunningServer } from '../../src/http/index.js'

describe('http server', () => {
  const rejected: string[] = []
  let server: RunningServer
  afterAll(async () => { await server.close() })

  const raw = (port: number, request: string): Promise<string> => new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => { socket.write(request) })
    let data = ''
    socket.on('data', (d) => { data += d.toString() })
    socket.on('end', () => { resolve(data) })
    socket.on('error', reject)
    socket.setTimeout(5_000, () => { socket.destroy(); resolve(data) })
  })

  test('oversized headers → 431, malformed request → 400, both counted; normal requests are served', async () => {
    server = await startHttpServer((_req, res) => { res.end('ok') }, '127.0.0.1', 0, { onRejected: (r) => rejected.push(r) })
    const port = Number(new URL(server.url).port)
    expect(await raw(port, `GET / HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(32 * 1024)}\r\n\r\n`)).toMatch(/^HTTP\/1.1 431/)
    expect(await raw(port, 'NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1.1 400/)
    expect(rejected).toEqual(['headers_too_large', 'malformed_request'])
    const ok = await fetch(server.url, { signal: AbortSignal.timeout(5_000) })
    expect(await ok.text()).toBe('ok')
  })
})
