/**
 * The operator commands' arguments: a negative number is a JSON value, not a flag (`murmur docs put n k
 * -5` was refused as "unknown flag -5", and JSON has no other way to write it), and `--` ends the flags
 * (a doc name or key that starts with a dash). Against a stand-in agent recording what it was asked.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { afterEach, describe, expect, test } from 'vitest'
import { murmur } from './helpers.js'

interface Seen { method: string, url: string, body: string }

let server: Server | undefined
afterEach(async () => {
  await new Promise<void>((resolve) => { if (server?.listening === true) server.close(() => { resolve() }); else resolve() })
  server = undefined
})

/** A stand-in agent answering every request `{"version":{}}`; its address and the requests it saw. */
async function agent (): Promise<{ addr: string, seen: Seen[] }> {
  const seen: Seen[] = []
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => { body += d.toString() })
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"version":{}}')
    })
  })
  await new Promise<void>((resolve) => { server?.listen(0, '127.0.0.1', resolve) })
  return { addr: `127.0.0.1:${(server.address() as { port: number }).port}`, seen }
}

describe('murmur <command> arguments', () => {
  test('docs put with a negative number writes it', async () => {
    const a = await agent()
    for (const value of ['-5', '-0.25', '-1e3']) {
      const r = await murmur(['docs', 'put', 'counters', 'delta', value, '--http-addr', a.addr])
      expect(r.stderr, value).toBe('')
      expect(r.status).toBe(0)
    }
    expect(a.seen.map(s => [s.method, s.url, s.body])).toEqual([
      ['PUT', '/docs/counters/kv/delta', '-5'],
      ['PUT', '/docs/counters/kv/delta', '-0.25'],
      ['PUT', '/docs/counters/kv/delta', '-1e3']
    ])
  })

  // As for the agent's --tag: of two values for one key the last was sent, silently; and __proto__ set the
  // body's prototype, so the agent refused "the body holds an object key __proto__", a body the operator never wrote.
  test('tags set: a key given twice, or __proto__, is a usage error naming it; nothing is sent', async () => {
    const a = await agent()
    expect(await murmur(['tags', 'set', 'role=db', 'role=web', '--http-addr', a.addr])).toEqual({ status: 2, stdout: '', stderr: 'murmur: tags set role=web: key role given twice\n' })
    expect(await murmur(['tags', 'set', '__proto__=x', '--http-addr', a.addr])).toEqual({ status: 2, stdout: '', stderr: 'murmur: tags set __proto__=x: the key __proto__ is refused (JSON readers take it as the object\'s prototype, not a key)\n' })
    expect(a.seen).toEqual([])
  })

  // As for the agent's --tag: a newline or an escape in a tag was sent, taken and gossiped (and this
  // message, cut at its newline, named only "role=a").
  test('tags set: a key or value holding a control character is a usage error on one line; nothing is sent', async () => {
    const a = await agent()
    expect(await murmur(['tags', 'set', 'role=a\nb', '--http-addr', a.addr])).toEqual({ status: 2, stdout: '', stderr: 'murmur: tags set "role=a\\nb": value holds a control character (\\u000a): names and tags are printable text\n' })
    expect(await murmur(['tags', 'set', 'ok=1', 'k\u001b=v', '--http-addr', a.addr])).toEqual({ status: 2, stdout: '', stderr: 'murmur: tags set "k\\u001b=v": key holds a control character (\\u001b): names and tags are printable text\n' })
    expect(a.seen).toEqual([])
    expect((await murmur(['tags', 'set', 'who=東京 👩‍💻', '--http-addr', a.addr])).status).not.toBe(2)
    expect(a.seen.map(s => s.body)).toEqual([JSON.stringify({ set: { who: '東京 👩‍💻' } })])
  })

  test('docs put sends the value as typed, so the agent judges it: 1e400 is not turned into null', async () => {
    const a = await agent()
    for (const value of ['1e400', '-1e400', '{"n": [1E999]}', '12345678901234567890']) {
      expect((await murmur(['docs', 'put', 'n', 'k', value, '--http-addr', a.addr])).status).toBe(0)
    }
    // Parsed and serialised again, the first three were sent as null, {"n":[null]}: stored, read back null.
    expect(a.seen.map(s => s.body)).toEqual(['1e400', '-1e400', '{"n": [1E999]}', '12345678901234567890'])
  })

  test('members against something that answers no member list: one line, exit 1, no stack trace', async () => {
    const a = await agent()
    const r = await murmur(['members', '--http-addr', a.addr])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe(`murmur: http://${a.addr} answered GET /members with something that is not a member list: is a murmur agent at that address?\n`)
  })

  // It printed the agent's tags from the answer unchecked: TypeError, a stack trace and exit 1.
  test('tags set against something that answers no tags: one line, exit 1, no stack trace', async () => {
    const a = await agent()
    for (const args of [['set', 'role=db'], ['set', 'role=db', '--json'], ['del', 'role']]) {
      const r = await murmur(['tags', ...args, '--http-addr', a.addr])
      expect(r, args.join(' ')).toEqual({ status: 1, stdout: '', stderr: `murmur: http://${a.addr} answered POST /tags without the agent's tags: is a murmur agent at that address? (the agent may have received it: the change may have been applied)\n` })
    }
  })

  test('docs put --idempotency-key that is not printable ASCII: a usage error, nothing sent', async () => {
    const a = await agent()
    for (const key of ['clé-1', 'tab\there', 'x'.repeat(257)]) {
      const r = await murmur(['docs', 'put', 'n', 'k', '1', '--idempotency-key', key, '--http-addr', a.addr])
      expect(r.status, key).toBe(2)
      expect(r.stderr, key).toMatch(/^murmur: docs: --idempotency-key must be 1–256 printable ASCII characters \(it travels as an HTTP header\), got /)
    }
    expect(a.seen).toEqual([])
    expect((await murmur(['docs', 'put', 'n', 'k', '1', '--idempotency-key', 'op 1 ~ok', '--http-addr', a.addr])).status).toBe(0)
  })

  test('-- ends the flags: names and keys that start with a dash', async () => {
    const a = await agent()
    expect(await murmur(['docs', 'put', '--http-addr', a.addr, '--', '-notes', '--key', '"v"'])).toMatchObject({ status: 0, stderr: '' })
    expect(await murmur(['docs', 'get', '--http-addr', a.addr, '--', '-notes', '-k'])).toMatchObject({ status: 0, stderr: '' })
    expect(await murmur(['docs', 'get', '--http-addr', a.addr, '--', 'n', '--help'])).toMatchObject({ status: 0, stderr: '' })
    expect(a.seen.map(s => [s.method, s.url])).toEqual([['PUT', '/docs/-notes/kv/--key'], ['GET', '/docs/-notes/kv/-k'], ['GET', '/docs/n/kv/--help']])
  })

  test('an unknown flag a letter or two from one of the command\'s names it (did you mean), nothing sent', async () => {
    // It said only "members: unknown flag --jsn".
    expect(await murmur(['members', '--jsn', '--http-addr', '127.0.0.1:1'])).toEqual({ status: 2, stdout: '', stderr: 'murmur: members: unknown flag --jsn (did you mean --json?)\n' })
    expect(await murmur(['members', '--http-adr', '127.0.0.1:1'])).toEqual({ status: 2, stdout: '', stderr: 'murmur: members: unknown flag --http-adr (did you mean --http-addr?)\n' })
  })

  test('a dash word that is not a number is still an unknown flag (exit 2)', async () => {
    const r = await murmur(['docs', 'put', 'n', 'k', '-x', '--http-addr', '127.0.0.1:1'])
    expect(r).toEqual({ status: 2, stdout: '', stderr: 'murmur: docs: unknown flag -x\n' })
  })
})

describe('an operator flag given twice', () => {
  // Before: the last one was kept silently (`--http-addr a --http-addr b` asked b).
  test('is a usage error naming it (exit 2, one line), nothing sent', async () => {
    const a = await agent()
    for (const args of [['health', '--http-addr', a.addr, '--http-addr', a.addr], ['docs', 'put', 'n', 'k', '1', '--http-addr', a.addr, '--idempotency-key', 'x', '--idempotency-key=y']]) {
      const r = await murmur(args)
      expect(r.status, args.join(' ')).toBe(2)
      expect(r.stderr, args.join(' ')).toMatch(/^murmur: (health|docs): --(http-addr|idempotency-key) given twice: it takes one value\n$/)
    }
    expect(a.seen).toEqual([])
  })
})

describe('an operator switch given twice', () => {
  // Before: `--json --json` was taken in silence, where a value flag given twice is a usage error.
  test('is a usage error naming it (exit 2, one line), nothing sent', async () => {
    const a = await agent()
    for (const args of [['members', '--json', '--json'], ['docs', 'ls', '--json', '--json'], ['tags', 'set', 'a=b', '--json', '--json']]) {
      const r = await murmur([...args, '--http-addr', a.addr])
      expect(r, args.join(' ')).toEqual({ status: 2, stdout: '', stderr: `murmur: ${args[0] as string}: --json given twice\n` })
    }
    expect(a.seen).toEqual([])
  })
})

describe('murmur join with more addresses than the agent takes at once', () => {
  // Before: 17 addresses were sent, and the agent's 400 said `expected {"addrs": [...]} with 1–16 addresses`.
  test('is a usage error naming the limit (exit 2), nothing sent; an address given twice counts once', async () => {
    const a = await agent()
    const addrs = (n: number): string[] => Array.from({ length: n }, (_, i) => `/ip4/10.0.0.${i + 1}/tcp/4001`)
    expect(await murmur(['join', ...addrs(17), '--http-addr', a.addr])).toEqual({ status: 2, stdout: '', stderr: 'murmur: join takes at most 16 addresses at a time, got 17: join the rest with another murmur join (a DNS name counts once, however many addresses it has)\n' })
    expect(a.seen).toEqual([])
    await murmur(['join', ...addrs(16), addrs(1)[0] as string, '--http-addr', a.addr])
    expect(a.seen.map(s => [s.method, s.url, (JSON.parse(s.body) as { addrs: string[] }).addrs.length])).toEqual([['POST', '/join', 16]])
  })
})

describe('an agent\'s error message', () => {
  // Whatever answers at the address wrote its error text to the operator's terminal as it was: an escape
  // sequence in it (a retitled window, a cleared screen) or a bidi override acted on the terminal.
  test('is printed with its control characters escaped', async () => {
    server = createServer((req, res) => {
      req.resume()
      req.on('end', () => {
        res.writeHead(400, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ code: 'invalid_body', error: 'bad \u001b]0;owned\u0007 tag \u202etxt.exe\u009b' }))
      })
    })
    await new Promise<void>((resolve) => { server?.listen(0, '127.0.0.1', resolve) })
    const addr = `127.0.0.1:${(server.address() as { port: number }).port}`
    const r = await murmur(['members', '--http-addr', addr])
    expect(r).toEqual({ status: 1, stdout: '', stderr: 'murmur: 400 invalid_body: bad \\u001b]0;owned\\u0007 tag \\u202etxt.exe\\u009b\n' })
  })
})

describe('a flag the command (or its action) does not take', () => {
  // Before: `docs get/ls --idempotency-key K` and `docs put --json` were accepted and ignored (exit 0), as
  // docs parsed one list of flags for all its actions.
  test('is refused like an unknown flag (exit 2, one line naming what the action takes), nothing sent', async () => {
    const a = await agent()
    for (const [args, message] of [
      [['docs', 'ls', '--idempotency-key', 'k'], 'docs ls: unknown flag --idempotency-key (docs ls takes --json)'],
      [['docs', 'get', 'n', '--idempotency-key=k'], 'docs get: unknown flag --idempotency-key (docs get takes --json)'],
      [['docs', 'get', 'n', 'k', '--idempotency-key', 'k'], 'docs get: unknown flag --idempotency-key (docs get takes --json)'],
      [['docs', 'put', 'n', 'k', '1', '--json'], 'docs put: unknown flag --json (docs put takes --idempotency-key)'],
      [['tags', 'del', 'x', '--idempotency-key', 'k'], 'tags: unknown flag --idempotency-key']
    ] as const) {
      const r = await murmur([...args, '--http-addr', a.addr])
      expect(r, args.join(' ')).toEqual({ status: 2, stdout: '', stderr: `murmur: ${message}\n` })
    }
    expect(a.seen).toEqual([])
    // What each action takes still works.
    for (const args of [['docs', 'ls', '--json'], ['docs', 'get', 'n', '--json'], ['docs', 'put', 'n', 'k', '1', '--idempotency-key', 'k']]) {
      const r = await murmur([...args, '--http-addr', a.addr])
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0)
    }
  })
})

describe('a value flag followed by another flag of the command', () => {
  // Before: the flag was taken as the value — `members --data-dir --json` looked for an agent in a directory
  // named --json, and `docs put … --idempotency-key --http-addr A` sent the key "--http-addr" to the agent
  // from MURMUR_HTTP_ADDR, the address A then a stray argument.
  test('is "needs a value" (exit 2), nothing sent; a value that only looks like a flag still is one', async () => {
    const a = await agent()
    for (const [args, message] of [
      [['members', '--data-dir', '--json'], 'members: --data-dir needs a value'],
      [['members', '--http-token-file', '--http-addr', a.addr], 'members: --http-token-file needs a value'],
      [['docs', 'put', 'n', 'k', '1', '--idempotency-key', '--http-addr', a.addr], 'docs: --idempotency-key needs a value'],
      [['members', '--status', '--json=x', '--http-addr', a.addr], 'members: --status needs a value']
    ] as const) {
      const r = await murmur([...args])
      expect(r, args.join(' ')).toEqual({ status: 2, stdout: '', stderr: `murmur: ${message}\n` })
    }
    expect(a.seen).toEqual([])
    const r = await murmur(['docs', 'put', 'n', 'k', '1', '--idempotency-key', '-k1', '--http-addr', a.addr])
    expect(r.status, r.stderr).toBe(0)
    expect(a.seen).toHaveLength(1)
  })
})
