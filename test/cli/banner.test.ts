/** The start banner: printed by formatBanner, read by parseBanner — one format, one parser. */
import { describe, expect, test } from 'vitest'
import { formatBanner, parseBanner } from '../../src/cli/banner.js'
import { defaultLibraryLogger, silentLogger } from '../../src/core/logger.js'

const ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'
const info = {
  peerId: ID,
  name: 'host:4001',
  addrs: [`/ip4/127.0.0.1/tcp/4001/p2p/${ID}`, `/ip4/10.0.0.5/tcp/4001/p2p/${ID}`],
  http: 'http://127.0.0.1:8080',
  faultInjection: true,
  dataDir: '/tmp/peer',
  profile: 'local, joining through 1 bootstrap peer(s)',
  extra: [['app', 'http://127.0.0.1:8080/  (append #token=<your token>)']] as Array<[string, string]>
}

describe('banner', () => {
  test('the format scripts and operators have read since the first release', () => {
    expect(formatBanner(info)).toBe([
      `murmur peer ${ID}`,
      '  name    host:4001',
      `  listen  /ip4/127.0.0.1/tcp/4001/p2p/${ID}`,
      `          /ip4/10.0.0.5/tcp/4001/p2p/${ID}`,
      '  http    http://127.0.0.1:8080 (fault injection enabled)',
      '  app     http://127.0.0.1:8080/  (append #token=<your token>)',
      '  data    /tmp/peer',
      '  profile local, joining through 1 bootstrap peer(s)',
      ''
    ].join('\n'))
  })

  test('parse(format(x)) gives x back, after any log noise before it', () => {
    const parsed = parseBanner(`some earlier line\n${formatBanner(info)}`)
    expect(parsed).toEqual({
      peerId: ID,
      name: 'host:4001',
      addrs: info.addrs,
      http: 'http://127.0.0.1:8080',
      dataDir: '/tmp/peer',
      profile: info.profile,
      lines: expect.objectContaining({ app: 'http://127.0.0.1:8080/  (append #token=<your token>)' })
    })
    const off = parseBanner(formatBanner({ ...info, http: undefined, extra: [] }))
    expect(off?.http).toBeUndefined()
    expect(off?.lines.http).toBe('off')
  })

  test('undefined until the banner is complete (a process may be read mid-write)', () => {
    const text = formatBanner(info)
    for (let cut = 0; cut < text.length; cut++) expect(parseBanner(text.slice(0, cut)), `cut at ${cut}`).toBeUndefined()
    expect(parseBanner(text)).toBeDefined()
  })
})

describe('banner with control characters in what the operator chose', () => {
  // --name and --data-dir were printed raw: a newline in either forged banner lines (a second `http` line
  // that parseBanner, npm start and the benchmarks read as the peer's URL) and an escape acted on the terminal.
  test('a name or data dir holding a newline or an escape is one escaped line; the banner reads back as printed', () => {
    const name = 'evil\n  http    http://attacker.example:1\u001b[2J'
    const dataDir = '/tmp/a\n  profile forged'
    const text = formatBanner({ ...info, name, dataDir })
    expect(text.split('\n')).toHaveLength(formatBanner(info).split('\n').length)
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/)
    const parsed = parseBanner(text)
    expect(parsed?.http).toBe(info.http)
    expect(parsed?.profile).toBe(info.profile)
    expect(parsed?.name).toBe('evil\\u000a  http    http://attacker.example:1\\u001b[2J')
    expect(parsed?.dataDir).toBe('/tmp/a\\u000a  profile forged')
  })
})

describe('library logging', () => {
  test('silent by default; DEBUG=murmur (debug-package style) turns it on', () => {
    for (const debug of [undefined, '', 'express', 'murmurx', 'other:*']) expect(defaultLibraryLogger({ DEBUG: debug }), String(debug)).toBe(silentLogger)
    for (const debug of ['murmur', 'murmur*', 'murmur:*', 'express,murmur', '*']) expect(defaultLibraryLogger({ DEBUG: debug }), debug).not.toBe(silentLogger)
  })
})
