/**
 * A peer process stopped (SIGTERM) while HTTP requests are in flight: the graceful stop an operator
 * expects of an HTTP service. New connections are refused at once, a request that arrives on an open
 * connection gets a clean 503, and a request in flight gets its real answer before the process exits 0.
 */
import { afterAll, describe, expect, test } from 'vitest'
import { api, cleanup, http, spawnPeer, waitFor, waitForStates } from '../helpers/procs.js'
import type { HttpResult } from '../helpers/procs.js'
import { connectOutcome, rawHttpInParts } from '../helpers/raw-http.js'

describe('peer process: SIGTERM with HTTP requests in flight', () => {
  afterAll(cleanup)

  // The HTTP server cut every connection right after the leave: a write durable here and waiting for its
  // copies (?w=2, its replica unreachable) got a socket reset, not the 504 "durable here" that peer.stop()
  // gives it; and requests were taken until then.
  test('a write waiting for its copies gets its real answer (504, durable here), a request after the signal a clean refusal, and the process exits 0', async () => {
    const a = await spawnPeer({ args: ['--profile', 'local'] })
    const b = await spawnPeer({ args: ['--profile', 'local'], bootstrap: [a.addrs[0] as string] })
    await waitForStates([a, b], [a.id, b.id], 'alive', 15_000)
    // Two peers, three replicas: both are homes of the doc, so ?w=2 waits for b's copy.
    expect((await api(a, 'PUT', '/docs/stop/kv/warm?w=2', 1)).status).toBe(200)
    expect((await api(a, 'POST', '/admin/partition', { block: [b.id] })).status).toBe(200)

    const port = Number(new URL(a.http).port)
    // Half a request's headers, sent before the signal and completed after it.
    const arriving = await rawHttpInParts(port, `GET /health HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n`, 10_000)
    let settled = false
    const put = http(a.http, 'PUT', '/docs/stop/kv/k?w=2', 42)
      .catch((err: Error): HttpResult => ({ status: 0, body: `no answer: ${String((err.cause as Error | undefined)?.message ?? err.message)}` }))
      .finally(() => { settled = true })
    // Read back: the write is durable on a, so the PUT now waits (up to 5 s) for a copy b cannot take. This
    // also shows the server has read `arriving`'s first part (sent before these connections were opened).
    await waitFor('the write applied on a', async () => (await api(a, 'GET', '/docs/stop/kv/k')).body === 42, 4_000, 20)
    expect(settled, 'the PUT is still waiting for its copy when the signal is sent').toBe(false)

    const signalled = Date.now()
    a.proc.kill('SIGTERM')
    await waitFor('the shutdown to begin', () => /shutting down signal=SIGTERM/.test(a.log()), 5_000, 10)
    const refused = await connectOutcome(port)
    const late = await arriving.finish('\r\n').catch((err: NodeJS.ErrnoException) => `no answer: ${err.code ?? err.message}`)
    const outcome = await put
    const exit = await a.exited
    const took = Date.now() - signalled

    // A new connection: refused, nothing sent (safe to retry elsewhere).
    expect.soft(refused).toBe('ECONNREFUSED')
    // A request that arrived on an open connection: a clean 503, nothing done, the connection closed.
    expect.soft(late).toMatch(/^HTTP\/1\.1 503 [^]*\r\nretry-after: 1\r\n[^]*"code":"shutting_down"/i)
    expect.soft(late).toMatch(/\r\nconnection: close\r\n/i)
    // The write in flight: its real answer — durable here, its copy not confirmed.
    expect.soft(outcome).toMatchObject({ status: 504, body: { code: 'write_concern_timeout' } })
    expect.soft(String((outcome.body as { error?: string }).error)).toMatch(/durable here/)
    expect(exit).toEqual({ code: 0, signal: null })
    expect(took).toBeLessThan(3_500)
    expect(a.log()).not.toMatch(/shutdown took too long/)

    // And the answer was honest: the write is there after a restart.
    const again = await spawnPeer({ dataDir: a.dataDir, args: ['--profile', 'local'] })
    expect((await api(again, 'GET', '/docs/stop/kv/k')).body).toBe(42)
  })
})
