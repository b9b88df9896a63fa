/**
 * The access rules of the HTTP API as pure functions (src/http/access.ts, src/http/errors.ts,
 * src/core/private-files.ts), table by table. The same rules over real sockets are in security.test.ts.
 */
import type { IncomingMessage } from 'node:http'
import { describe, expect, test } from 'vitest'
import { createAccessCheck, errorAnswer, hostAllowed, hostName, HttpError, isLoopbackHost } from '../../src/http/index.js'
import type { RouteAccess } from '../../src/http/index.js'
import { looseSecretMode } from '../../src/core/private-files.js'
import { ConfigError } from '../../src/core/errors.js'

const TOKEN = 'a-test-token-of-some-length'

/** The parts of a request the check reads. */
function req (url: string, headers: Record<string, string>): IncomingMessage {
  return { url, headers, headersDistinct: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])) } as unknown as IncomingMessage
}

describe('Host header parsing', () => {
  test.each([
    ['127.0.0.1:8080', '127.0.0.1'], ['localhost', 'localhost'], ['LOCALHOST:1', 'localhost'], ['[::1]:8080', '::1'], ['[::ffff:7f00:1]:8080', '::ffff:7f00:1'],
    ['example.com.', 'example.com'], ['app.localhost:3000', 'app.localhost'],
    ['', undefined], ['a b', undefined], ['user@host', undefined], ['[::1', undefined], ['host:port', undefined], ['host:123456', undefined]
  ])('%j → %j', (header, name) => {
    expect(hostName(header)).toBe(name)
  })

  test.each([
    ['localhost', true], ['foo.localhost', true], ['127.0.0.1', true], ['127.255.0.9', true], ['::1', true], ['[::1]', true],
    ['localhost.evil.example', false], ['evil.example', false], ['0.0.0.0', false], ['10.0.0.1', false], ['::', false], ['128.0.0.1', false],
    // IPv4-mapped loopback, as typed and as a URL writes it in the Host header (`[::ffff:7f00:1]`): was refused (403).
    ['::ffff:127.0.0.1', true], ['[::ffff:7f00:1]', true], ['0:0:0:0:0:0:0:1', true], ['::ffff:127.1.2.3', true],
    ['::ffff:10.0.0.1', false], ['::ffff:a00:1', false], ['fe80::1%lo', false], ['::2', false]
  ])('loopback %s → %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback)
  })

  test('allow-list: exact names, IP addresses, .domain for subdomains', () => {
    const allow = ['murmur.internal', '.example.com', '10.0.0.5', '[fd00::1]']
    expect(hostAllowed('murmur.internal', allow)).toBe(true)
    expect(hostAllowed('x.murmur.internal', allow)).toBe(false)
    expect(hostAllowed('example.com', allow)).toBe(true)
    expect(hostAllowed('a.b.example.com', allow)).toBe(true)
    expect(hostAllowed('badexample.com', allow)).toBe(false)
    expect(hostAllowed('10.0.0.5', allow)).toBe(true)
    expect(hostAllowed('fd00::1', allow)).toBe(true)
    expect(hostAllowed('evil.example', allow)).toBe(false)
  })

  // A fully qualified name with its trailing dot matched no request: the Host header is read without one.
  test('allow-list: an entry written with its trailing dot (example.com.) matches the name', () => {
    expect(hostAllowed(hostName('murmur.internal:8080') as string, ['murmur.internal.'])).toBe(true)
    expect(hostAllowed(hostName('murmur.internal.') as string, ['murmur.internal.'])).toBe(true)
    expect(hostAllowed('a.example.com', ['.example.com.'])).toBe(true)
    expect(hostAllowed('example.com', ['.example.com.'])).toBe(true)
    expect(hostAllowed('badexample.com', ['.example.com.'])).toBe(false)
  })
})

describe('createAccessCheck', () => {
  const codeOf = (check: ReturnType<typeof createAccessCheck>, url: string, headers: Record<string, string>, route?: RouteAccess): string =>
    check(req(url, headers), route)?.code ?? 'ok'

  test('without a token: loopback Hosts only (GET included), whatever the Origin says; allow-host adds names', () => {
    const open = createAccessCheck({})
    const cases: Array<[Record<string, string>, string]> = [
      [{ host: '127.0.0.1:8080' }, 'ok'],
      [{ host: 'localhost:8080', origin: 'http://localhost:8080' }, 'ok'],
      [{ host: '[::1]:8080' }, 'ok'],
      // DNS rebinding: the page's own name, and an Origin that matches it.
      [{ host: 'evil.example:8080', origin: 'http://evil.example:8080' }, 'host_not_allowed'],
      [{ host: 'evil.example:8080' }, 'host_not_allowed'],
      [{ host: 'localhost.evil.example' }, 'host_not_allowed'],
      [{}, 'host_not_allowed'],
      // A foreign page talking to the loopback name directly: its Origin gives it away.
      [{ host: '127.0.0.1:8080', origin: 'http://evil.example' }, 'cross_origin'],
      [{ host: '127.0.0.1:8080', origin: 'null' }, 'cross_origin'],
      [{ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:9999' }, 'cross_origin']
    ]
    for (const [headers, code] of cases) expect(codeOf(open, '/members', headers), JSON.stringify(headers)).toBe(code)
    const allowed = createAccessCheck({ allowHosts: ['murmur.internal'] })
    expect(codeOf(allowed, '/members', { host: 'murmur.internal:8080' })).toBe('ok')
    expect(codeOf(allowed, '/members', { host: 'evil.example:8080' })).toBe('host_not_allowed')
  })

  test('with a token: any Host (a rebinding page lacks the token) unless an allow-list is given', () => {
    const locked = createAccessCheck({ token: TOKEN })
    const auth = { authorization: `Bearer ${TOKEN}` }
    expect(codeOf(locked, '/members', { host: '10.1.2.3:8080', ...auth })).toBe('ok')
    expect(codeOf(locked, '/members', { host: '10.1.2.3:8080' })).toBe('unauthorized')
    expect(codeOf(locked, '/members', { host: '10.1.2.3:8080', authorization: `Bearer ${TOKEN}x` })).toBe('unauthorized')
    expect(codeOf(locked, '/members', { host: '10.1.2.3:8080', authorization: `bearer ${TOKEN}` })).toBe('ok') // the scheme is case-insensitive (RFC 9110)
    expect(codeOf(locked, '/members', { host: '10.1.2.3:8080', authorization: `BEARER  ${TOKEN}` })).toBe('ok')
    expect(codeOf(locked, '/members', { host: '10.1.2.3:8080', authorization: `Bearer ${TOKEN.toUpperCase()}` })).toBe('unauthorized') // the token is not
    expect(codeOf(locked, '/members', { host: '10.1.2.3:8080', authorization: `Basic ${TOKEN}` })).toBe('unauthorized')
    expect(codeOf(locked, '/members', { host: '10.1.2.3:8080', authorization: 'Bearer ' })).toBe('unauthorized')
    const both = createAccessCheck({ token: TOKEN, allowHosts: ['murmur.internal'] })
    expect(codeOf(both, '/members', { host: 'murmur.internal', ...auth })).toBe('ok')
    expect(codeOf(both, '/members', { host: '10.1.2.3:8080', ...auth })).toBe('host_not_allowed')
  })

  test('a token in the URL: refused on plain routes (even when right), accepted where a route opts in', () => {
    const locked = createAccessCheck({ token: TOKEN })
    const host = { host: '127.0.0.1:1' }
    expect(codeOf(locked, `/members?access_token=${TOKEN}`, host)).toBe('query_token_not_allowed')
    expect(codeOf(locked, `/members?access_token=${TOKEN}`, { ...host, authorization: `Bearer ${TOKEN}` })).toBe('query_token_not_allowed')
    expect(codeOf(locked, `/events?access_token=${TOKEN}`, host, { queryToken: true })).toBe('ok')
    expect(codeOf(locked, '/events?access_token=wrong', host, { queryToken: true })).toBe('unauthorized')
    expect(codeOf(locked, '/events', host, { queryToken: true })).toBe('unauthorized')
    const refusal = locked(req(`/members?access_token=${TOKEN}`, host))
    expect(refusal?.status).toBe(401)
    expect(refusal?.headers['www-authenticate']).toBe('Bearer')
  })

  test('public routes need no token but keep the Host and Origin rules', () => {
    const locked = createAccessCheck({ token: TOKEN, allowHosts: ['murmur.internal'] })
    expect(codeOf(locked, '/health', { host: 'murmur.internal' }, { public: true })).toBe('ok')
    expect(codeOf(locked, '/health', { host: 'evil.example' }, { public: true })).toBe('host_not_allowed')
    expect(codeOf(locked, '/health', { host: 'murmur.internal', origin: 'http://evil.example' }, { public: true })).toBe('cross_origin')
  })
})

describe('error answers', () => {
  test('HttpError as it is; named errors by table; anything else is a 500 with no details', () => {
    expect(errorAnswer(new HttpError(404, 'doc_not_found', 'no doc "x"'))).toMatchObject({ status: 404, code: 'doc_not_found', message: 'no doc "x"', internal: false })
    const named = new Error('too many docs open (maxOpenDocs 10)')
    named.name = 'TooManyDocsError'
    expect(errorAnswer(named)).toMatchObject({ status: 503, code: 'too_many_docs', message: named.message, internal: false })
    const raw = new Error("ENOENT: no such file or directory, open '/home/alice/.murmur/docs/LOCK'")
    const a = errorAnswer(raw)
    expect(a).toMatchObject({ status: 500, code: 'internal', internal: true })
    expect(a.message).not.toMatch(/alice|ENOENT|LOCK/)
    expect(errorAnswer('a string').code).toBe('internal')
  })
})

describe('secret file permissions (OpenSSH rule, PostgreSQL root-group exception)', () => {
  test.each([
    [0o600, 1000, true], [0o400, 1000, true], [0o700, 1000, true],
    [0o644, 1000, false], [0o604, 1000, false], [0o640, 1000, false], [0o660, 1000, false], [0o601, 1000, false],
    [0o640, 0, true], [0o440, 0, true], [0o660, 0, false], [0o644, 0, false], [0o100600, 1000, true], [0o100644, 1000, false]
  ])('mode %o owned by uid %i → accepted %s', (mode, uid, ok) => {
    expect(looseSecretMode(mode, uid) === undefined).toBe(ok)
  })
})

describe('the token an application gives', () => {
  // The rule the CLI applies to --http-token-file and MURMUR_HTTP_TOKEN, for createHttpApi and
  // createAccessCheck too: an empty token locked every client out, with no error anywhere; one with
  // characters past ASCII matched for curl (UTF-8) and never for browsers or Node's fetch (Latin-1).
  test.each([
    ['', /at least 16 characters/],
    ['short', /at least 16 characters/],
    ['has spaces in it, long enough', /printable ASCII, no spaces/],
    ['é'.repeat(20), /printable ASCII, no spaces/]
  ])('%j is a ConfigError at once', (token, why) => {
    expect(() => createAccessCheck({ token })).toThrow(ConfigError)
    expect(() => createAccessCheck({ token })).toThrow(why)
  })

  test('a token the CLI accepts is accepted', () => {
    expect(() => createAccessCheck({ token: TOKEN })).not.toThrow()
    expect(() => createAccessCheck({})).not.toThrow()
  })
})
