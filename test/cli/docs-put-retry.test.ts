/**
 * `murmur docs put` sends an Idempotency-Key and retries a write whose outcome is unknown with the same key
 * (a 500, or no answer), never one that was refused. Against a stand-in HTTP server that records what
 * it received: the point is what the CLI sends, which a real agent's answers cannot show (the agent's own
 * handling of keys is tested in test/http and test/replication).
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { murmur } from './helpers.js'

interface Seen { method: string, url: string, key: string | undefined, body: string }

async function agent (answer: (n: number, req: IncomingMessage, res: ServerResponse) => void): Promise<{ addr: string, seen: Seen[], close: () => Promise<void> }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => { body += d.toString() })
    req.on('end', () => {
      const key = req.headers['idempotency-key']
      seen.push({ method: req.method ?? '', url: req.url ?? '', key: Array.isArray(key) ? key.join(',') : key, body })
      answer(seen.length, req, res)
    })
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const { port } = server.address() as AddressInfo
  return { addr: `127.0.0.1:${port}`, seen, close: () => new Promise((resolve) => { server.close(() => { resolve() }) }) }
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

let close: (() => Promise<void>) | undefined
afterEach(async () => { await close?.() })

describe('murmur docs put: idempotent retries', () => {
  test('an unknown outcome (500 outcome_unknown) is retried with the same key; the second answer is printed', async () => {
    const a = await agent((n, _req, res) => {
      if (n === 1) json(res, 500, { error: 'the store did not confirm the write', code: 'outcome_unknown' })
      else json(res, 200, { version: { 7: 1 } })
    })
    close = a.close
    const r = await murmur(['docs', 'put', 'ops', 'k', '"v"', '--http-addr', a.addr])
    expect(r.status).toBe(0)
    expect(r.stdout).toBe('{"version":{"7":1}}\n')
    expect(a.seen).toHaveLength(2)
    expect(a.seen[0]?.key).toMatch(/^[0-9a-f-]{36}$/)
    expect(a.seen[1]?.key).toBe(a.seen[0]?.key)
    expect(a.seen[1]?.body).toBe('"v"')
  })

  test('a refusal (503, 422) is final: sent once, exit 1', async () => {
    const a = await agent((_n, _req, res) => { json(res, 503, { error: 'writes are refused', code: 'store_failing' }) })
    close = a.close
    const r = await murmur(['docs', 'put', 'ops', 'k', '"v"', '--http-addr', a.addr])
    expect(r.status).toBe(1)
    expect(a.seen).toHaveLength(1)
    expect(r.stderr).toMatch(/503 store_failing/)
  })

  test('still unknown after the retries: exit 1 and the key to retry with; --idempotency-key sends that key', async () => {
    const a = await agent((_n, _req, res) => { json(res, 500, { error: 'not confirmed', code: 'outcome_unknown' }) })
    close = a.close
    const r = await murmur(['docs', 'put', 'ops', 'k', '"v"', '--http-addr', a.addr, '--idempotency-key', 'op-42'])
    expect(r.status).toBe(1)
    expect(a.seen.map(s => s.key)).toEqual(['op-42', 'op-42', 'op-42'])
    expect(r.stderr).toMatch(/retry with --idempotency-key op-42/)
  })
})

/** A port nothing listens on (bound, then released). */
const closedPort = (): Promise<number> => new Promise((resolve) => {
  const s: Server = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address() as AddressInfo
    s.close(() => { resolve(port) })
  })
})

describe('murmur <write>: an agent that could not be reached applied nothing', () => {
  test('docs put to a refused port says the write was not applied, not that it may have been, and sends once', async () => {
    const port = await closedPort()
    const started = Date.now()
    const r = await murmur(['docs', 'put', 'ops', 'k', '"v"', '--http-addr', `127.0.0.1:${port}`])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe(`murmur: cannot reach the agent at http://127.0.0.1:${port}: ECONNREFUSED (nothing was sent: the write was not applied)\n`)
    // Final at once: no retry pauses for a request that never left.
    expect(Date.now() - started).toBeLessThan(400)
  })

  test('docs put to a host name that does not resolve says the write was not applied', async () => {
    const r = await murmur(['docs', 'put', 'ops', 'k', '"v"', '--http-addr', 'no-such-agent.invalid:7373'])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^murmur: cannot reach the agent at http:\/\/no-such-agent\.invalid:7373: (ENOTFOUND|EAI_AGAIN) \(nothing was sent: the write was not applied\)\n$/)
  })

  test('tags, join and leave to a refused port say nothing was applied; a read says only that it could not reach', async () => {
    const port = await closedPort()
    const addr = ['--http-addr', `127.0.0.1:${port}`]
    for (const args of [['tags', 'set', 'a=b'], ['join', '/ip4/127.0.0.1/tcp/4001'], ['leave']]) {
      const r = await murmur([...args, ...addr])
      expect(r.status, args.join(' ')).toBe(1)
      expect(r.stderr, args.join(' ')).toBe(`murmur: cannot reach the agent at http://127.0.0.1:${port}: ECONNREFUSED (nothing was sent: not applied)\n`)
    }
    expect((await murmur(['members', ...addr])).stderr).toBe(`murmur: cannot reach the agent at http://127.0.0.1:${port}: ECONNREFUSED\n`)
  })

  test('a connection reset after the request was sent stays an unknown outcome, retried with the same key', async () => {
    const a = await agent((_n, req) => { req.socket.destroy() })
    close = a.close
    const r = await murmur(['docs', 'put', 'ops', 'k', '"v"', '--http-addr', a.addr, '--idempotency-key', 'op-7'])
    expect(r.status).toBe(1)
    expect(a.seen.map(s => s.key)).toEqual(['op-7', 'op-7', 'op-7'])
    expect(r.stderr).toMatch(/ECONNRESET .*\(the write may or may not have been applied: retry with --idempotency-key op-7/)
  })

  test('refused after an attempt whose outcome is unknown: still unknown (the first may have been applied)', async () => {
    let port = 0
    const a = await agent((_n, _req, res) => {
      json(res, 500, { error: 'not confirmed', code: 'outcome_unknown' })
      void a.close()
    })
    port = Number(a.addr.split(':')[1])
    close = undefined
    const r = await murmur(['docs', 'put', 'ops', 'k', '"v"', '--http-addr', `127.0.0.1:${port}`, '--idempotency-key', 'op-8'])
    expect(r.status).toBe(1)
    expect(a.seen).toHaveLength(1)
    expect(r.stderr).toMatch(/ECONNREFUSED \(the write may or may not have been applied: retry with --idempotency-key op-8/)
  })
})
