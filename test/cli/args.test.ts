/** CLI flag parsing: the fixed table of DESIGN.md, and one clear message for every bad input. */
import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { DEFAULT_LISTEN, HELP, invokedAs, parseArgs, peerHelp } from '../../src/cli/args.js'

const ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'

describe('parseArgs', () => {
  test('defaults', () => {
    const r = parseArgs([])
    expect(r).toMatchObject({ kind: 'run', options: { listen: [DEFAULT_LISTEN], bootstrap: [], dataDir: '.murmur', http: { host: '127.0.0.1', port: 0 }, mdns: false, profile: 'lan', replicas: 3, allowFaultInjection: false } })
  })

  test('every flag of the table', () => {
    const r = parseArgs([
      '--listen', '/ip4/127.0.0.1/tcp/4001', '--listen=/ip4/127.0.0.1/tcp/4002',
      '--bootstrap', `/ip4/127.0.0.1/tcp/5001/p2p/${ID},/ip4/127.0.0.1/tcp/5002`, '--bootstrap', '/dns4/seed.example/tcp/4001',
      '--data-dir', '/tmp/x', '--name', 'alpha', '--tag', 'role=db', '--tag', 'zone=a=b', '--http', '8080',
      '--psk', './swarm.key', '--mdns', '--profile', 'local', '--replicas', '5', '--allow-fault-injection', '--allow-peer', ID, '--log-level', 'debug', '--no-datagrams'
    ])
    expect(r.kind).toBe('run')
    if (r.kind !== 'run') return
    expect(r.options.listen).toEqual(['/ip4/127.0.0.1/tcp/4001', '/ip4/127.0.0.1/tcp/4002'])
    expect(r.options.bootstrap).toHaveLength(3)
    expect(r.options.tags).toEqual({ role: 'db', zone: 'a=b' })
    expect(r.options.http).toEqual({ host: '127.0.0.1', port: 8080 })
    expect(r.options).toMatchObject({ dataDir: '/tmp/x', name: 'alpha', pskFile: './swarm.key', mdns: true, profile: 'local', replicas: 5, allowFaultInjection: true, allowPeers: [ID], logLevel: 'debug', datagrams: false })
    expect(parseArgs([])).toMatchObject({ kind: 'run', options: { datagrams: true } })
  })

  test('every address shape the TCP transport dials is accepted', () => {
    const ok = ['/ip4/10.0.0.1/tcp/4001', `/ip6/::1/tcp/4001/p2p/${ID}`, '/dns4/seed.example/tcp/4001', '/dns6/seed.example/tcp/4001',
      `/dns/seed.example/tcp/4001/p2p/${ID}`, '/ip6zone/eth0/ip6/fe80::1/tcp/4001']
    for (const addr of ok) {
      const r = parseArgs(['--bootstrap', addr, '--advertise', addr, '--listen', addr])
      expect(r, addr).toMatchObject({ kind: 'run', options: { bootstrap: [addr], advertise: [addr], listen: [addr] } })
    }
    expect(parseArgs(['--listen', '/ip4/0.0.0.0/tcp/0'])).toMatchObject({ kind: 'run', options: { listen: ['/ip4/0.0.0.0/tcp/0'] } })
  })

  test('an address given twice is used once: listening twice on one port failed start-up with EADDRINUSE against itself', () => {
    const a = '/ip4/127.0.0.1/tcp/4001'
    expect(parseArgs(['--listen', a, '--listen', a, '--bootstrap', `${a},${a}`, '--advertise', a, '--advertise', a])).toMatchObject({ kind: 'run', options: { listen: [a], bootstrap: [a], advertise: [a] } })
    expect(parseArgs([], { MURMUR_LISTEN: `${a}, ${a}` })).toMatchObject({ kind: 'run', options: { listen: [a] } })
  })

  test('a path starting with ~ is refused: the shell leaves it as it is after --flag= and in the environment and a file, and the peer made a directory named ~', () => {
    for (const [flag, value] of [['--data-dir', '~/murmur'], ['--data-dir', '~'], ['--psk', '~alice/swarm.key'], ['--http-token-file', '~/token'], ['--config', '~/murmur.json']]) {
      const r = parseArgs([`${flag as string}=${value as string}`], {}, { readFile: () => '{}' })
      expect(r, `${flag as string}=${value as string}`).toEqual({ kind: 'error', message: `${flag as string} ${value as string}: ~ is not expanded here; write the full path (or ./${value as string} for a directory named ~ here)` })
    }
    expect(parseArgs([], { MURMUR_DATA_DIR: '~/m' })).toMatchObject({ kind: 'error', message: /^MURMUR_DATA_DIR: --data-dir ~\/m: ~ is not expanded here/ })
    expect(parseArgs(['--https-cert', '~/c.pem', '--https-key', 'k.pem'])).toMatchObject({ kind: 'error', message: /^--https-cert ~\/c\.pem: ~ is not expanded/ })
    // Only a leading ~ is the shell's.
    expect(parseArgs(['--data-dir', './~', '--psk', 'a~b'])).toMatchObject({ kind: 'run', options: { dataDir: './~', pskFile: 'a~b' } })
  })

  test('a token with a trailing newline (a Secret made from a file) is the token without it: with it, no client could ever send it', () => {
    const token = 't'.repeat(24)
    expect(parseArgs(['--http-token', `${token}\n`])).toMatchObject({ kind: 'run', options: { httpToken: token } })
    expect(parseArgs([], { MURMUR_HTTP_TOKEN: ` ${token}\r\n` })).toMatchObject({ kind: 'run', options: { httpToken: token } })
    expect(parseArgs([], { MURMUR_HTTP_TOKEN: `${token} ${token}` })).toMatchObject({ kind: 'error', message: /^MURMUR_HTTP_TOKEN: --http-token must be printable ASCII, no spaces/ })
  })

  test('--help and --version', () => {
    expect(parseArgs(['--help'])).toEqual({ kind: 'help' })
    expect(parseArgs(['--listen', '/ip4/1.2.3.4/tcp/1', '--version'])).toEqual({ kind: 'version' })
  })

  test.each([
    [['--frobnicate'], /unknown flag --frobnicate/],
    [['stray'], /unexpected argument stray/],
    [['--listen'], /--listen needs a value/],
    [['--listen', '--mdns'], /--listen needs a value/],
    [['--listen', 'localhost:4001'], /not a valid multiaddr/],
    [['--listen', '/ip4/127.0.0.1/udp/4001'], /needs a TCP address/],
    [['--bootstrap', '/ip4/300.0.0.1/tcp/1'], /not a valid multiaddr/],
    // The multiaddr parser takes any text after /p2p/; such an address can never be dialled.
    [['--bootstrap', '/ip4/127.0.0.1/tcp/4001/p2p/notapeerid'], /\/p2p\/notapeerid is not a peer id/],
    [['--bootstrap', '/dns4/seed.example/tcp/4001/p2p/12D3KooW'], /is not a peer id/],
    [['--listen', '/ip4/127.0.0.1/tcp/0/p2p/x'], /is not a peer id/],
    [['--advertise', '/ip4/10.0.0.1/tcp/4001/p2p/QmNope'], /is not a peer id/],
    [['--profile', 'wan'], /--profile must be lan or local/],
    [['--replicas', '0'], /--replicas must be an integer from 1 to 64/],
    [['--replicas', '2.5'], /--replicas must be an integer/],
    [['--replicas', 'three'], /--replicas must be an integer/],
    [['--replicas', '65'], /--replicas must be an integer from 1 to 64/],
    [['--tag', 'novalue'], /expected key=value/],
    [['--tag', '=x'], /expected key=value/],
    // Stored as tags['__proto__'] = 'x', which sets the object's prototype: the tag was dropped without a word.
    [['--tag', '__proto__=x'], /^--tag __proto__=x: the key __proto__ is refused/],
    [['--http', 'abc'], /expected \[host:\]port/],
    // An IPv6 host without brackets was "expected [host:]port, e.g. 127.0.0.1:8080", which does not say what is wrong.
    [['--http', '::1:8080'], /^--http ::1:8080: an IPv6 host goes in brackets: \[::1\]:8080$/],
    [['--http', 'fe80::1:8080'], /an IPv6 host goes in brackets/],
    // It suggested [:]:1.
    [['--http', '::1'], /^--http ::1: an IPv6 host goes in brackets: \[::1\]:<port>$/],
    [['--http', '70000'], /port must be/],
    [['--http', '0.0.0.0:8080'], /also pass --http-token-file/],
    [['--http', '8080', '--no-http'], /contradict/],
    [['--http-token', 'short'], /at least 16/],
    // Other characters reach the peer differently from each client: curl sent é as UTF-8 and got 401,
    // Node's fetch sent it as Latin-1 and got in; a space inside was taken, where the file refuses one.
    [['--http-token', 'é'.repeat(16)], /--http-token must be printable ASCII, no spaces/],
    [['--http-token', `${'a'.repeat(8)} ${'b'.repeat(8)}`], /printable ASCII, no spaces/],
    [['--allow-peer', 'nope'], /not a peer id/],
    // Base58 of the right length range, but not a peer id: one character too many or too few (a bad
    // copy) used to be accepted, and the peer then refused the very peer it meant to allow.
    [['--allow-peer', `${ID}x`], /--allow-peer .*: not a peer id/],
    [['--allow-peer', ID.slice(0, -1)], /--allow-peer .*: not a peer id/],
    [['--log-level', 'loud'], /--log-level must be one of/],
    [['--allow-fault-injection=yes'], /takes no value/],
    [['--mdns=Blue_Team'], /a cluster name is 1–55 lowercase letters/],
    // `_murmur-<cluster>` must stay one DNS label (63 bytes): with 56 characters, every mDNS packet of the
    // cluster was refused by its receivers ("bad label"), and its peers never found each other.
    [['--mdns', 'c'.repeat(56)], /a cluster name is 1–55 lowercase letters/],
    [['--advertise', '/ip4/10.0.0.1/udp/1'], /needs a TCP address/],
    // Only plain TCP has a transport here: these parsed, and a bootstrap peer like that was re-dialled
    // (and failed, "no valid addresses", a warning every 2 s) for as long as the peer ran.
    [['--bootstrap', '/ip4/10.0.0.1/tcp/4001/ws'], /\/ws after the TCP port: murmur speaks plain TCP only/],
    [['--bootstrap', '/dns4/seed.example/tcp/443/wss'], /\/wss after the TCP port/],
    [['--bootstrap', '/ip4/10.0.0.1/tcp/4001/tls'], /\/tls after the TCP port/],
    [['--bootstrap', `/ip4/10.0.0.1/tcp/4001/p2p/${ID}/p2p-circuit`], /\/p2p-circuit after the TCP port/],
    [['--bootstrap', '/tcp/4001'], /must start with \/ip4, \/ip6, \/dns4, \/dns6 or \/dns and a host/],
    [['--bootstrap', '/ip4/10.0.0.1/udp/1/tcp/2'], /needs \/tcp\/<port> right after the host/],
    [['--bootstrap', '/ip4/10.0.0.1/tcp/0'], /port 0 is for --listen/],
    [['--advertise', '/ip4/10.0.0.1/tcp/0'], /port 0 is for --listen/],
    [['--listen', '/ip4/127.0.0.1/tcp/0/ws'], /\/ws after the TCP port/],
    [['--name', ''], /--name must be/],
    [['--data-dir', ''], /non-empty/],
    // Blank: the peer made a directory named by the spaces (`"data-dir": "  "` in a config file, `--data-dir "$DIR "`
    // with DIR unset) and kept its identity and documents there; a blank key or certificate path was read as a file.
    [['--data-dir', '  '], /^--data-dir needs a non-empty value$/],
    [['--data-dir', '\t'], /^--data-dir needs a non-empty value$/],
    [['--psk', ' '], /^--psk needs a non-empty value$/],
    [['--https-cert', ' ', '--https-key', 'k'], /^--https-cert needs a non-empty value$/],
    // `--bootstrap "$SEED"` with SEED unset: the peer started alone, a mesh of its own, without a word.
    [['--bootstrap', ''], /--bootstrap needs a non-empty value/],
    [['--bootstrap=,'], /--bootstrap needs a non-empty value/],
    [['--bootstrap', ' , '], /--bootstrap needs a non-empty value/],
    [['--http-token', 'x'.repeat(16), '--http-token-file', 'f'], /contradict/],
    [['--http-allow-host', 'evil.example:8080'], /expected a host name \(no port\)/],
    [['--http-allow-host', 'a b'], /expected a host name/],
    [['--http-allow-host', '*'], /expected a host name/],
    // Taken as IP addresses (any run of hex digits, dots and colons), matching no Host, in silence.
    [['--http-allow-host', '.'], /expected a host name/],
    [['--http-allow-host', '...'], /expected a host name/],
    [['--http-allow-host', ':::'], /expected a host name/],
    [['--http-allow-host', '[fd00::1'], /expected a host name/],
    [['--http-allow-origin', 'null'], /cannot be allowed: any page can send it/],
    [['--http-allow-origin', '*'], /cannot be allowed/],
    [['--http-allow-origin', 'localhost:5173'], /expected an origin like http:\/\/localhost:5173/],
    [['--http-allow-origin', 'http://localhost:5173/app'], /scheme, host and port only/],
    [['--http-allow-origin', 'http://localhost:5173/'], /scheme, host and port only/],
    [['--http-allow-origin', 'ftp://example.com'], /expected an origin/],
    [['--http-allow-origin', 'http://user@example.com'], /expected an origin/],
    [['--https-cert', 'c.pem'], /--https-cert and --https-key go together/],
    [['--https-key', 'k.pem'], /go together/],
    [['--https-cert', 'c.pem', '--https-key', 'k.pem', '--no-http'], /need the HTTP API/]
  ])('%j → error %s', (argv, message) => {
    const r = parseArgs(argv)
    expect(r.kind).toBe('error')
    if (r.kind === 'error') {
      expect(r.message).toMatch(message)
      expect(r.message).not.toContain('\n')
    }
  })

  // A newline, an escape or a NUL in a name or tag was taken and gossiped; every printer then showed it as
  // `\u000a`. Refused where it is set, with one line, as the agent's other bad flags are (exit 2).
  test('--name and --tag holding control characters are refused, from flags, the environment and a config file; other text is taken', () => {
    const controls = ['a\nb', 'a\rb', 'a\tb', 'x\u001b[31m', 'nul\u0000', 'del\u007f', 'c1\u0085']
    for (const bad of controls) {
      const name = parseArgs(['--name', bad])
      expect(name, JSON.stringify(bad)).toMatchObject({ kind: 'error', message: expect.stringMatching(/^--name ".*": holds a control character \(\\u00[0-9a-f]{2}\): names and tags are printable text$/) as unknown })
      expect(parseArgs(['--tag', `role=${bad}`]), JSON.stringify(bad)).toMatchObject({ kind: 'error', message: expect.stringMatching(/^--tag ".*": value holds a control character/) as unknown })
      expect(parseArgs(['--tag', `${bad}=v`]), JSON.stringify(bad)).toMatchObject({ kind: 'error', message: expect.stringMatching(/^--tag ".*": key holds a control character/) as unknown })
    }
    expect(parseArgs(['--name', 'a\nb'])).toEqual({ kind: 'error', message: '--name "a\\nb": holds a control character (\\u000a): names and tags are printable text' })
    expect(parseArgs([], { MURMUR_NAME: 'web\tone' })).toMatchObject({ kind: 'error', message: expect.stringMatching(/^MURMUR_NAME: --name "web\\tone": holds a control character \(\\u0009\)/) as unknown })
    expect(parseArgs([], { MURMUR_TAG: 'role=db,zone=a\u001bb' })).toMatchObject({ kind: 'error', message: expect.stringMatching(/^MURMUR_TAG: --tag ".*": value holds a control character \(\\u001b\)/) as unknown })
    const file = (o: unknown): string => JSON.stringify(o)
    expect(parseArgs(['--config', 'm.json'], {}, { readFile: () => file({ name: 'two\nlines' }) })).toMatchObject({ kind: 'error', message: expect.stringMatching(/--name "two\\nlines": holds a control character/) as unknown })
    expect(parseArgs(['--config', 'm.json'], {}, { readFile: () => file({ tag: { role: 'db\r' } }) })).toMatchObject({ kind: 'error', message: expect.stringMatching(/--tag ".*": value holds a control character \(\\u000d\)/) as unknown })
    // Half a surrogate pair (only JSON can write one) is refused like POST /tags refuses it.
    expect(parseArgs(['--config', 'm.json'], {}, { readFile: () => '{"name": "x\\ud800"}' })).toMatchObject({ kind: 'error', message: expect.stringMatching(/--name ".*": holds half a surrogate pair/) as unknown })
    // Spaces, non-ASCII letters, emoji (with their joiners) and bidi text are names like any other.
    for (const good of ['web one', 'nœud-ü', '東京-1', '👩‍💻 dev', 'שרת']) {
      expect(parseArgs(['--name', good, '--tag', `who=${good}`]), good).toMatchObject({ kind: 'run', options: { name: good, tags: { who: good } } })
    }
  })

  test('a /p2p/ value that is not a peer id is refused from the environment and a config file too', () => {
    expect(parseArgs([], { MURMUR_BOOTSTRAP: `/ip4/127.0.0.1/tcp/4001/p2p/${ID},/ip4/127.0.0.1/tcp/4002/p2p/bogus` })).toMatchObject({ kind: 'error', message: expect.stringMatching(/^MURMUR_BOOTSTRAP: .*\/p2p\/bogus is not a peer id/) as unknown })
    const file = JSON.stringify({ bootstrap: ['/ip4/127.0.0.1/tcp/4001/p2p/bogus'] })
    expect(parseArgs(['--config', 'm.json'], {}, { readFile: () => file })).toMatchObject({ kind: 'error', message: expect.stringMatching(/is not a peer id/) as unknown })
  })

  test('security flags: token file, allowed hosts, TLS; MURMUR_HTTP_TOKEN from the environment', () => {
    const r = parseArgs(['--http', '0.0.0.0:8443', '--http-token-file', '/run/secrets/token', '--http-allow-host', 'Murmur.Internal', '--http-allow-host', '.example.com',
      '--https-cert', 'c.pem', '--https-key', 'k.pem'])
    expect(r).toMatchObject({ kind: 'run', options: { httpTokenFile: '/run/secrets/token', httpAllowHosts: ['murmur.internal', '.example.com'], https: { certFile: 'c.pem', keyFile: 'k.pem' } } })
    // IP addresses, bracketed or not, and a fully qualified name with its trailing dot are still taken.
    expect(parseArgs(['--http-allow-host', '10.0.0.5', '--http-allow-host', '[fd00::1]', '--http-allow-host', 'fd00::2', '--http-allow-host', 'murmur.internal.'])).toMatchObject({ kind: 'run', options: { httpAllowHosts: ['10.0.0.5', '[fd00::1]', 'fd00::2', 'murmur.internal.'] } })
    // Origins as browsers send them (lower case, no default port), each once; comma-separated in the environment.
    expect(parseArgs(['--http-allow-origin', 'HTTP://LocalHost:5173', '--http-allow-origin', 'https://app.example.com:443', '--http-allow-origin', 'http://localhost:5173'])).toMatchObject({ kind: 'run', options: { httpAllowOrigins: ['http://localhost:5173', 'https://app.example.com'] } })
    expect(parseArgs([], { MURMUR_HTTP_ALLOW_ORIGIN: 'http://localhost:5173, http://127.0.0.1:8080' })).toMatchObject({ kind: 'run', options: { httpAllowOrigins: ['http://localhost:5173', 'http://127.0.0.1:8080'] } })
    const env = { MURMUR_HTTP_TOKEN: 'e'.repeat(20) }
    expect(parseArgs(['--http', '0.0.0.0:1'], env)).toMatchObject({ kind: 'run', options: { httpToken: 'e'.repeat(20) } })
    // A flag beats the environment.
    expect(parseArgs(['--http-token', 'f'.repeat(16)], env)).toMatchObject({ kind: 'run', options: { httpToken: 'f'.repeat(16) } })
    expect(parseArgs(['--http-token-file', 't'], env)).toMatchObject({ kind: 'run', options: { httpTokenFile: 't' } })
    expect((parseArgs(['--http-token-file', 't'], env) as { options: { httpToken?: string } }).options.httpToken).toBeUndefined()
    expect(parseArgs([], { MURMUR_HTTP_TOKEN: 'short' })).toEqual({ kind: 'error', message: 'MURMUR_HTTP_TOKEN: --http-token must be at least 16 characters' })
    expect(parseArgs([], { MURMUR_HTTP_TOKEN: '€'.repeat(16) })).toMatchObject({ kind: 'error', message: expect.stringMatching(/^MURMUR_HTTP_TOKEN: --http-token must be printable ASCII/) })
    // Without the environment passed in, parsing is pure: no token.
    expect((parseArgs([]) as { options: { httpToken?: string } }).options.httpToken).toBeUndefined()
  })

  // Host names are case-insensitive: LOCALHOST is loopback, and was refused as "reachable from other machines".
  test('a loopback --http in any letter case needs no token', () => {
    for (const http of ['LOCALHOST:8080', 'LocalHost:8080']) {
      const r = parseArgs(['--http', http])
      expect(r.kind, http).toBe('run')
    }
  })

  // An IPv4-mapped loopback address is loopback, like [::1]: it was "expected [host:]port" (the dots), exit 2.
  test('--http [::ffff:127.0.0.1]:port is loopback and needs no token, like [::1]; a mapped public address needs one', () => {
    for (const [http, host] of [['[::ffff:127.0.0.1]:8080', '::ffff:127.0.0.1'], ['[::1]:8080', '::1'], ['[0:0:0:0:0:ffff:7f00:1]:8080', '0:0:0:0:0:ffff:7f00:1']]) {
      expect(parseArgs(['--http', http as string]), http).toMatchObject({ kind: 'run', options: { http: { host, port: 8080 } } })
    }
    // Named as given, in brackets: it said "--http ::ffff:10.0.0.1:8080", which no flag accepts.
    expect(parseArgs(['--http', '[::ffff:10.0.0.1]:8080'])).toEqual({ kind: 'error', message: '--http [::ffff:10.0.0.1]:8080 is reachable from other machines: also pass --http-token-file <file> (or MURMUR_HTTP_TOKEN)' })
  })

  test('a public --http with a token is accepted', () => {
    expect(parseArgs(['--http', '0.0.0.0:8080', '--http-token', 'x'.repeat(16)]).kind).toBe('run')
  })

  test('random argument vectors never throw: they parse or give one line', () => {
    const token = fc.oneof(
      fc.constantFrom('--listen', '--bootstrap', '--tag', '--http', '--profile', '--mdns', '--name', '--psk', '--no-http', '--allow-peer', '-h', '--http-token'),
      fc.string({ maxLength: 30 }),
      fc.constantFrom('/ip4/127.0.0.1/tcp/1', 'a=b', '8080', 'lan', '0.0.0.0:1')
    )
    fc.assert(fc.property(fc.array(token, { maxLength: 8 }), (argv) => {
      const r = parseArgs(argv)
      return r.kind !== 'error' || (r.message.length > 0 && !r.message.includes('\n'))
    }), { numRuns: 5_000, seed: 7 })
  })
})

describe('the help names the command as it was run', () => {
  test.each([
    ['/usr/local/bin/murmur-peer', '/home/me', 'murmur-peer'], // the package's bin (a link to dist/peer.js)
    ['/srv/app/node_modules/.bin/murmur-peer', '/srv/app', 'murmur-peer'], // npx murmur-peer
    ['/src/murmur/dist/peer.js', '/src/murmur', 'node dist/peer.js'], // a checkout
    ['/srv/app/node_modules/murmur/dist/peer.js', '/srv/app', 'node node_modules/murmur/dist/peer.js'],
    ['/opt/murmur/dist/peer.js', '/home/me', 'node /opt/murmur/dist/peer.js'],
    [undefined, '/home/me', 'node dist/peer.js']
  ])('%s from %s: %s', (script, cwd, expected) => {
    expect(invokedAs(script, cwd)).toBe(expected)
  })

  // --bootstrap takes /dns as /dns4 and /dns6 (README), and its help named only those two.
  test('the help names every DNS form --bootstrap resolves', () => {
    expect(HELP).toMatch(/--bootstrap <multiaddr> [^]*A \/dns4, \/dns6 or\s+\/dns name is resolved/)
    expect(parseArgs(['--bootstrap', '/dns/seed.example/tcp/4001']).kind).toBe('run')
  })

  test('usage line and examples', () => {
    const help = peerHelp('murmur-peer')
    expect(help).toMatch(/^Usage: murmur-peer \[options\]\n/)
    expect(help).not.toContain('dist/peer.js')
    expect(help.split('murmur-peer').length).toBe(HELP.split('node dist/peer.js').length)
  })
})

describe('bidi controls in --name and --tag', () => {
  // U+202E and the other bidi controls were taken in --name and --tag (only C0, DEL and C1 were refused), and
  // the error messages printed a value with JSON.stringify, which leaves them raw on the terminal.
  test('--name or --tag holding a bidi control is refused in one line with the character escaped, from flags, the environment and a file', () => {
    for (const c of ['\u202e', '\u202a', '\u2066', '\u2069', '\u200e', '\u200f', '\u061c']) {
      const hex = c.charCodeAt(0).toString(16).padStart(4, '0')
      expect(parseArgs(['--name', `web${c}1`]), hex).toEqual({ kind: 'error', message: `--name "web\\u${hex}1": holds a bidirectional-text control (\\u${hex}), which reorders how a terminal shows the line: names and tags are printable text` })
      expect(parseArgs(['--tag', `role=db${c}`]), hex).toMatchObject({ kind: 'error', message: expect.stringMatching(/^--tag "role=db\\u[0-9a-f]{4}": value holds a bidirectional-text control/) as unknown })
    }
    expect(parseArgs([], { MURMUR_NAME: 'a\u202eb' })).toMatchObject({ kind: 'error', message: expect.stringMatching(/^MURMUR_NAME: --name "a\\u202eb": holds a bidirectional-text control/) as unknown })
    expect(parseArgs(['--config', 'm.json'], {}, { readFile: () => JSON.stringify({ tag: { 'k\u2067': 'v' } }) })).toMatchObject({ kind: 'error', message: expect.stringMatching(/key holds a bidirectional-text control \(\\u2067\)/) as unknown })
  })
})

describe('how many --tag', () => {
  // A peer given 32 tags had no room for murmur.http, the address of its HTTP API it adds: it went without
  // it, silently. 31 of the user's own, and murmur.http (the peer's, or one the user sets) the 32nd.
  test('at most 31 tags besides murmur.http, the message naming it', () => {
    const tagFlags = (n: number): string[] => Array.from({ length: n }, (_, i) => ['--tag', `k${i}=v`]).flat()
    expect(parseArgs(tagFlags(32))).toEqual({ kind: 'error', message: '--tag: at most 31 tags, got 32 (a member has 32, and murmur.http, the peer\'s HTTP API address, which it adds itself, is the last)' })
    expect(parseArgs(tagFlags(31)).kind).toBe('run')
    expect(parseArgs([...tagFlags(31), '--tag', 'murmur.http=http://10.0.0.5:8080']).kind).toBe('run')
    expect(parseArgs([], { MURMUR_TAG: Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(',') })).toMatchObject({ kind: 'error', message: expect.stringMatching(/^MURMUR_TAG: --tag: at most 31 tags, got 32 /) as unknown })
  })
})

describe('a switch given twice', () => {
  // Before: `--no-http --no-http` and `--allow-fault-injection --allow-fault-injection` were taken in silence,
  // where `--mdns --mdns` (and every flag with a value) is an error naming it.
  test('is an error naming it, as a flag with a value is', () => {
    for (const flag of ['--no-http', '--allow-fault-injection']) {
      expect(parseArgs([flag, flag]), flag).toMatchObject({ kind: 'error', message: expect.stringMatching(new RegExp(`^${flag} given twice \\(only --listen, .* repeat\\)$`)) as unknown })
    }
    expect(parseArgs(['--mdns', '--mdns']).kind).toBe('error')
    // Once on the command line and once in the environment is a layer over another, not twice.
    expect(parseArgs(['--allow-fault-injection'], { MURMUR_ALLOW_FAULT_INJECTION: 'true' })).toMatchObject({ kind: 'run', options: { allowFaultInjection: true } })
  })
})

describe('a single-value flag given twice', () => {
  // Before: the last one was kept silently (`--data-dir a --data-dir b` ran on b).
  test('is an error naming the flag; repeatable flags still repeat', () => {
    for (const [flag, a, b] of [['--http', '1', '2'], ['--data-dir', 'a', 'b'], ['--replicas', '2', '3'], ['--log-level', 'info', 'warn'], ['--name', 'x', 'y'], ['--config', 'a.json', 'b.json']]) {
      const r = parseArgs([flag as string, a as string, `${flag as string}=${b as string}`])
      expect(r, flag).toMatchObject({ kind: 'error', message: expect.stringMatching(new RegExp(`^${flag as string} given twice: it takes one value`)) as unknown })
    }
    const r = parseArgs(['--tag', 'a=1', '--tag', 'b=2', '--allow-peer', ID, '--allow-peer', ID, '--bootstrap', '/ip4/127.0.0.1/tcp/4001', '--bootstrap', '/ip4/127.0.0.1/tcp/4002'])
    expect(r.kind).toBe('run')
  })
})
