/**
 * Settings from three layers — flags > MURMUR_* environment > --config JSON file — into the same
 * PeerCliOptions, with errors that name the layer the bad value came from.
 */
import { describe, expect, test } from 'vitest'
import { parseArgs } from '../../src/cli/args.js'
import type { PeerCliOptions } from '../../src/cli/args.js'
import { PEER_FLAGS, envName, misspeltEnv } from '../../src/cli/settings.js'

const ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'

function files (map: Record<string, string>): { readFile: (f: string) => string } {
  return {
    readFile: (f) => {
      const text = map[f]
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${f}`), { code: 'ENOENT' })
      return text
    }
  }
}

function run (argv: string[], env: Record<string, string> = {}, fs: Record<string, string> = {}): PeerCliOptions {
  const r = parseArgs(argv, env, files(fs))
  if (r.kind !== 'run') throw new Error(`expected options, got ${JSON.stringify(r)}`)
  return r.options
}

function error (argv: string[], env: Record<string, string> = {}, fs: Record<string, string> = {}): string {
  const r = parseArgs(argv, env, files(fs))
  if (r.kind !== 'error') throw new Error(`expected an error, got ${JSON.stringify(r)}`)
  expect(r.message).not.toContain('\n')
  return r.message
}

const FILE = JSON.stringify({
  listen: ['/ip4/0.0.0.0/tcp/4001'],
  bootstrap: '/dns4/murmur.default.svc/tcp/4001',
  'data-dir': '/data',
  name: 'from-file',
  tag: { role: 'db', zone: 'a' },
  http: '127.0.0.1:8080',
  'allow-peer': [ID],
  mdns: 'blue',
  profile: 'local',
  replicas: 5,
  'allow-fault-injection': true,
  'log-level': 'warn'
})

describe('config layers', () => {
  test('a config file sets every flag by its name', () => {
    const o = run(['--config', 'murmur.json'], {}, { 'murmur.json': FILE })
    expect(o).toMatchObject({
      listen: ['/ip4/0.0.0.0/tcp/4001'],
      bootstrap: ['/dns4/murmur.default.svc/tcp/4001'],
      dataDir: '/data',
      name: 'from-file',
      tags: { role: 'db', zone: 'a' },
      http: { host: '127.0.0.1', port: 8080 },
      allowPeers: [ID],
      mdns: true,
      mdnsCluster: 'blue',
      profile: 'local',
      replicas: 5,
      allowFaultInjection: true,
      logLevel: 'warn',
      configFile: 'murmur.json'
    })
  })

  test('flags > environment > file, a whole setting at a time (a flag list replaces the file\'s list)', () => {
    const env = { MURMUR_NAME: 'from-env', MURMUR_LISTEN: '/ip4/127.0.0.1/tcp/1,/ip4/127.0.0.1/tcp/2', MURMUR_PROFILE: 'lan', MURMUR_MDNS: 'false' }
    const o = run(['--config', 'murmur.json', '--name', 'from-flag', '--tag', 'only=flag'], env, { 'murmur.json': FILE })
    expect(o.name).toBe('from-flag')
    expect(o.tags).toEqual({ only: 'flag' })
    expect(o.listen).toEqual(['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'])
    expect(o.profile).toBe('lan')
    expect(o.mdns).toBe(false) // the environment's explicit false beats the file's cluster
    expect(o.dataDir).toBe('/data') // only in the file
    expect(o.replicas).toBe(5)
    expect(run(['--config', 'murmur.json'], { MURMUR_REPLICAS: '2' }, { 'murmur.json': FILE }).replicas).toBe(2)
    expect(run(['--config', 'murmur.json', '--replicas', '4'], { MURMUR_REPLICAS: '2' }, { 'murmur.json': FILE }).replicas).toBe(4)
    expect(error([], { MURMUR_REPLICAS: '0' })).toBe('MURMUR_REPLICAS: --replicas must be an integer from 1 to 64, got 0')
    // --no-http in a higher layer beats the file's http, and the token flags replace each other across layers.
    expect(run(['--config', 'c.json', '--no-http'], {}, { 'c.json': '{"http": "8080"}' }).http).toBeUndefined()
    expect(run(['--http-token-file', '/t'], { MURMUR_HTTP_TOKEN: 'x'.repeat(16) })).toMatchObject({ httpTokenFile: '/t' })
    expect(run([], { MURMUR_HTTP_TOKEN_FILE: '/t' }, {})).toMatchObject({ httpTokenFile: '/t' })
  })

  // MURMUR_NO_HTTP=false took the key it shares with --http: the file's "http" was dropped, in silence, and
  // the API served on the default loopback address, any free port.
  test('a switch turned off (MURMUR_NO_HTTP=false) says only "not that switch": the file\'s http stays', () => {
    const file = { 'c.json': '{"http": "127.0.0.1:8080"}' }
    expect(run(['--config', 'c.json'], { MURMUR_NO_HTTP: 'false' }, file).http).toEqual({ host: '127.0.0.1', port: 8080 })
    // …and it still beats the file's own "no-http": true, as a higher layer does.
    expect(run(['--config', 'c.json'], { MURMUR_NO_HTTP: 'false' }, { 'c.json': '{"no-http": true}' }).http).toEqual({ host: '127.0.0.1', port: 0 })
    expect(run(['--config', 'c.json'], { MURMUR_NO_HTTP: 'true' }, file).http).toBeUndefined()
    expect(run(['--config', 'c.json'], { MURMUR_HTTP: '9090' }, { 'c.json': '{"no-http": true}' }).http).toEqual({ host: '127.0.0.1', port: 9090 })
  })

  test('MURMUR_CONFIG names the file; every flag has its MURMUR_ variable', () => {
    expect(run([], { MURMUR_CONFIG: 'm.json' }, { 'm.json': '{"name": "n"}' }).name).toBe('n')
    // A missing file is reported under the name it was given by (it said --config for both).
    expect(error([], { MURMUR_CONFIG: 'gone.json' })).toBe('cannot read MURMUR_CONFIG gone.json: ENOENT')
    expect(error(['--config', 'gone.json'], { MURMUR_CONFIG: 'm.json' })).toBe('cannot read --config gone.json: ENOENT')
    expect(PEER_FLAGS.map(f => envName(f.flag))).toContain('MURMUR_HTTP_ALLOW_HOST')
    const o = run([], {
      MURMUR_BOOTSTRAP: `/ip4/10.0.0.1/tcp/4001/p2p/${ID}`, MURMUR_ADVERTISE: '/ip4/203.0.113.7/tcp/4001', MURMUR_TAG: 'a=1,b=2',
      MURMUR_ALLOW_FAULT_INJECTION: 'true', MURMUR_HTTP_ALLOW_HOST: 'murmur.internal', MURMUR_DATA_DIR: '/var/lib/murmur', MURMUR_SEED: '7', MURMUR_HTTP_ADDR: 'x'
    })
    expect(o).toMatchObject({ advertise: ['/ip4/203.0.113.7/tcp/4001'], tags: { a: '1', b: '2' }, allowFaultInjection: true, httpAllowHosts: ['murmur.internal'], dataDir: '/var/lib/murmur' })
    expect(o.bootstrap).toHaveLength(1)
  })

  // Every other MURMUR_* value is trimmed; MURMUR_CONFIG was not: "m.json\n" from a ConfigMap was
  // "cannot read MURMUR_CONFIG m.json\n: ENOENT", and a blank one a file named by its spaces.
  test('MURMUR_CONFIG is trimmed as every MURMUR_ value is; blank is unset; a blank --config needs a value', () => {
    expect(run([], { MURMUR_CONFIG: ' m.json\n' }, { 'm.json': '{"name": "n"}' }).name).toBe('n')
    expect(run([], { MURMUR_CONFIG: '  ' }).name).toBeUndefined()
    expect(error(['--config', '  '])).toBe('--config needs a non-empty value')
  })

  test('a file saved with a UTF-8 byte order mark (Notepad, PowerShell 5) is read like one without', () => {
    expect(run(['--config', 'c.json'], {}, { 'c.json': '\uFEFF{"replicas": 2}' }).replicas).toBe(2)
  })

  test('an environment value is trimmed as a list\'s items are: a value from a file or a YAML block ends in a newline', () => {
    const o = run([], { MURMUR_DATA_DIR: '/var/lib/murmur\n', MURMUR_REPLICAS: ' 2', MURMUR_PROFILE: 'local\r\n', MURMUR_HTTP: '8080\n' })
    expect(o).toMatchObject({ dataDir: '/var/lib/murmur', replicas: 2, profile: 'local', http: { host: '127.0.0.1', port: 8080 } })
  })

  // Two settings that cannot go together were named as flags wherever they came from: MURMUR_HTTP_TOKEN
  // with MURMUR_HTTP_TOKEN_FILE was "--http-token and --http-token-file contradict each other".
  test('settings that cannot go together are named with where each came from', () => {
    const token = 'x'.repeat(16)
    expect(error([], { MURMUR_HTTP_TOKEN: token, MURMUR_HTTP_TOKEN_FILE: '/t' })).toBe('--http-token (MURMUR_HTTP_TOKEN) and --http-token-file (MURMUR_HTTP_TOKEN_FILE) contradict each other: give one')
    expect(error(['--http-token-file', '/t', '--http-token', token])).toBe('--http-token and --http-token-file contradict each other: give one')
    expect(error(['--config', 'c.json'], {}, { 'c.json': '{"http": "8080", "no-http": true}' })).toBe('--http (c.json: "http") and --no-http (c.json: "no-http") contradict each other')
    expect(error(['--config', 'c.json'], { MURMUR_NO_HTTP: 'true' }, { 'c.json': '{"https-cert": "c.pem", "https-key": "k.pem"}' })).toBe('--https-cert/--https-key need the HTTP API (drop --no-http (MURMUR_NO_HTTP))')
    expect(error(['--https-key', 'k.pem'], { MURMUR_HTTPS_CERT: '' })).toBe('--https-cert and --https-key go together (only --https-key is given)')
    expect(error(['--config', 'c.json'], {}, { 'c.json': '{"https-cert": "c.pem"}' })).toBe('--https-cert and --https-key go together (only --https-cert (c.json: "https-cert") is given)')
    expect(error([], { MURMUR_HTTP: '0.0.0.0:8080' })).toBe('--http 0.0.0.0:8080 (MURMUR_HTTP) is reachable from other machines: also pass --http-token-file <file> (or MURMUR_HTTP_TOKEN)')
  })

  test('an unknown flag or setting a letter or two from a real one names it (did you mean)', () => {
    // They said only "unknown flag --bootsrap (see --help)" and 'unknown setting "lisen"'.
    expect(error(['--bootsrap', '/ip4/127.0.0.1/tcp/1'])).toBe('unknown flag --bootsrap (did you mean --bootstrap? see --help)')
    expect(error(['--replica=3'])).toBe('unknown flag --replica (did you mean --replicas? see --help)')
    expect(error(['--frobnicate'])).toBe('unknown flag --frobnicate (see --help)')
    expect(error(['--config', 'c.json'], {}, { 'c.json': '{"lisen": []}' })).toBe('c.json: unknown setting "lisen" (did you mean "listen"? settings are the flags of --help, without the dashes)')
    expect(error(['--config', 'c.json'], {}, { 'c.json': `{"${'x'.repeat(5000)}": 1}` })).toMatch(/unknown setting "x+" \(settings are/)
  })

  test('errors say which layer the bad value came from', () => {
    expect(error([], { MURMUR_HTTP: 'abc' })).toMatch(/^MURMUR_HTTP: --http abc: expected \[host:\]port/)
    expect(error(['--config', 'c.json'], {}, { 'c.json': '{"profile": "wan"}' })).toMatch(/^c\.json: "profile": --profile must be lan or local/)
    expect(error(['--config', 'c.json'], {}, { 'c.json': '{"lisen": []}' })).toMatch(/^c\.json: unknown setting "lisen"/)
    expect(error(['--config', 'c.json'], {}, { 'c.json': '{"listen": [1, {}]}' })).toMatch(/"listen": expected a string or a list of strings/)
    expect(error(['--config', 'c.json'], {}, { 'c.json': '{"mdns": "Blue Team"}' })).toMatch(/cluster name/)
    expect(error(['--config', 'c.json'], {}, { 'c.json': '{"allow-fault-injection": "yes"}' })).toMatch(/expected true or false/)
    expect(error(['--config', 'c.json'], {}, { 'c.json': '{"listen": ' })).toMatch(/^c\.json: not valid JSON/)
    expect(error(['--config', 'c.json'], {}, { 'c.json': '[]' })).toMatch(/expected a JSON object/)
    expect(error(['--config', 'missing.json'])).toMatch(/cannot read --config missing\.json: ENOENT/)
    expect(error([], { MURMUR_ALLOW_FAULT_INJECTION: 'maybe' })).toMatch(/^MURMUR_ALLOW_FAULT_INJECTION="maybe": expected true or false/)
    // Cross-checks see the merged result: a public HTTP address from the file still needs a token.
    expect(error(['--config', 'c.json'], {}, { 'c.json': '{"http": "0.0.0.0:8080"}' })).toMatch(/reachable from other machines/)
    expect(run(['--config', 'c.json'], { MURMUR_HTTP_TOKEN: 't'.repeat(16) }, { 'c.json': '{"http": "0.0.0.0:8080"}' }).http).toEqual({ host: '0.0.0.0', port: 8080 })
  })

  // A file's tag object was turned into "key=value" and split at the first "=" again: {"a=b": "x"} became the
  // tag a = "b=x", and of two tags with one key (--tag a=1 --tag a=2, MURMUR_TAG=a=1,a=2) the last was kept.
  test('a tag key holding "=" in a file\'s tag object, or one key given twice in any layer, is refused naming it', () => {
    expect(error(['--config', 'c.json'], {}, { 'c.json': '{"tag": {"a=b": "x"}}' })).toBe('c.json: "tag": tag key "a=b" holds "=", which ends a key: expected key=value')
    expect(error(['--tag', 'a=1', '--tag', 'a=2'])).toBe('--tag a=2: key a given twice')
    expect(error([], { MURMUR_TAG: 'role=db,role=web' })).toBe('MURMUR_TAG: --tag role=web: key role given twice')
    expect(error(['--config', 'c.json'], {}, { 'c.json': '{"tag": ["z=1", "z=1"]}' })).toBe('c.json: "tag": --tag z=1: key z given twice')
    expect(run(['--config', 'c.json'], {}, { 'c.json': '{"tag": {"a": "b=c", "d": ""}}' }).tags).toEqual({ a: 'b=c', d: '' })
    expect(run(['--tag', 'a=1', '--tag', 'b=1=2']).tags).toEqual({ a: '1', b: '1=2' })
  })

  test('--mdns takes an optional cluster name', () => {
    expect(run(['--mdns'])).toMatchObject({ mdns: true })
    expect(run(['--mdns']).mdnsCluster).toBeUndefined()
    expect(run(['--mdns', 'blue', '--profile', 'local'])).toMatchObject({ mdns: true, mdnsCluster: 'blue', profile: 'local' })
    expect(run(['--mdns=blue'])).toMatchObject({ mdnsCluster: 'blue' })
    expect(run(['--mdns', '--profile', 'local'])).toMatchObject({ mdns: true, profile: 'local' })
  })
})

describe('MURMUR_* names that are not settings', () => {
  test('one a letter or two from a setting is named with the setting it most likely meant; the rest are left alone', () => {
    const env = {
      MURMUR_BOOTSTARP: '/ip4/10.0.0.1/tcp/4001', // transposed letters
      MURMUR_DATADIR: '/data', // a missing underscore
      MURMUR_HTTP_TOKENFILE: '/run/token',
      // Kubernetes' service links for a Service named murmur, and names of ours read elsewhere: not typos.
      MURMUR_SERVICE_HOST: '10.96.0.10', MURMUR_SERVICE_PORT: '4001', MURMUR_PORT: 'tcp://10.96.0.10:4001', MURMUR_PORT_4001_TCP_ADDR: '10.96.0.10',
      MURMUR_CONFIG: 'm.json', MURMUR_HTTP_ADDR: '127.0.0.1:8080', MURMUR_PEER_JS: 'dist/peer.js', MURMUR_BOOTSTRAP: '/ip4/10.0.0.2/tcp/4001', OTHER: 'x'
    }
    expect(misspeltEnv(env)).toEqual([
      'MURMUR_BOOTSTARP is not a setting and is ignored: did you mean MURMUR_BOOTSTRAP?',
      'MURMUR_DATADIR is not a setting and is ignored: did you mean MURMUR_DATA_DIR?',
      'MURMUR_HTTP_TOKENFILE is not a setting and is ignored: did you mean MURMUR_HTTP_TOKEN_FILE?'
    ])
    expect(misspeltEnv(Object.fromEntries(PEER_FLAGS.map(f => [envName(f.flag), 'x'])))).toEqual([])
  })
})
