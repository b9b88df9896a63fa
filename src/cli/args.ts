/**
 * Command-line flags of `node dist/peer.js` (the fixed CLI table of DESIGN.md), parsed and validated into
 * PeerCliOptions. Pure: no I/O, so every bad input has a test and a one-line message.
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { LogLevelName } from '../core/logger.js'
import { SWIM_LIMITS } from '../membership/codec.js'

export interface PeerCliOptions {
  listen: string[]
  bootstrap: string[]
  dataDir: string
  name?: string
  tags: Record<string, string>
  /** host and port of the HTTP API; undefined with --no-http. */
  http?: { host: string, port: number }
  /** Bearer token (`--http-token`, or `MURMUR_HTTP_TOKEN`). */
  httpToken?: string
  /** File holding the bearer token (`--http-token-file`); read at start-up. */
  httpTokenFile?: string
  /** Host names served besides loopback ones (`--http-allow-host`). */
  httpAllowHosts: string[]
  /** Serve HTTPS: PEM certificate and key files (both or neither). */
  https?: { certFile: string, keyFile: string }
  pskFile?: string
  mdns: boolean
  profile: 'lan' | 'local'
  allowFaultInjection: boolean
  allowPeers: string[]
  logLevel: LogLevelName
}

export type ParsedArgs =
  | { kind: 'run', options: PeerCliOptions }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'error', message: string }

export const DEFAULT_LISTEN = '/ip4/0.0.0.0/tcp/0'
export const DEFAULT_DATA_DIR = '.murmur'
export const DEFAULT_HTTP = { host: '127.0.0.1', port: 0 }

export const HELP = `Usage: node dist/peer.js [options]

Starts a murmur peer: SWIM membership and Yjs document replication over libp2p, with an HTTP API.

Options:
  --listen <multiaddr>       where to listen (TCP); repeatable (default ${DEFAULT_LISTEN})
  --bootstrap <multiaddr>    peer to join through; repeatable, or comma-separated
  --data-dir <dir>           identity key and documents; same dir = same peer id (default ${DEFAULT_DATA_DIR})
  --name <name>              human-readable member name (default: hostname and port)
  --tag <key=value>          member metadata, gossiped; repeatable
  --http <[host:]port>       serve the HTTP API there (default ${DEFAULT_HTTP.host}:${DEFAULT_HTTP.port}: loopback, any free port)
  --no-http                  do not serve the HTTP API
  --http-token-file <file>   require "Authorization: Bearer <token>", the token read from this file
                             (mode 0600); or set MURMUR_HTTP_TOKEN. Mandatory when --http is not loopback
  --http-token <token>       the same with the token on the command line (visible to other users in ps)
  --http-allow-host <name>   also serve requests whose Host is <name> (.example.com: and subdomains);
                             without a token only loopback Hosts are served; repeatable
  --https-cert <file>        serve HTTPS with this PEM certificate (with --https-key)
  --https-key <file>         the certificate's PEM private key (mode 0600)
  --psk <file>               private network: only peers holding the same swarm key can connect
  --allow-peer <peerId>      only these peers may connect; repeatable
  --mdns                     discover and dial peers on the local network
  --profile lan|local        timing preset, like memberlist's LAN and local configs (default lan)
  --allow-fault-injection    enable the /admin/* endpoints (tests, partition-heal script)
  --log-level <level>        debug, info, warn or error (default info)
  --help                     show this help
  --version                  show the version

Examples:
  node dist/peer.js --listen /ip4/0.0.0.0/tcp/4001 --data-dir ./seed --http 8080
  node dist/peer.js --bootstrap /ip4/10.0.0.5/tcp/4001/p2p/12D3KooW... --data-dir ./p2
`

const LOG_LEVELS: readonly LogLevelName[] = ['debug', 'info', 'warn', 'error']
const BOOLEAN_FLAGS = new Set(['--mdns', '--allow-fault-injection', '--no-http', '--help', '-h', '--version', '-v'])
const VALUE_FLAGS = new Set(['--listen', '--bootstrap', '--data-dir', '--name', '--tag', '--http', '--http-token', '--http-token-file', '--http-allow-host',
  '--https-cert', '--https-key', '--psk', '--allow-peer', '--profile', '--log-level'])
/** Bearer tokens shorter than this are refused: a token is a password nobody types. */
export const MIN_TOKEN_CHARS = 16
/** `name`, `.domain`, an IPv4 address or a bracketed/bare IPv6 address. */
const ALLOW_HOST = /^\.?[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}))*\.?$|^\[?[0-9a-fA-F:.]+\]?$/
const PEER_ID = /^[1-9A-HJ-NP-Za-km-z]{32,128}$|^b[a-z2-7]{32,128}$/

class ArgError extends Error {}

/**
 * A user-supplied value as it appears in an error: as typed when it is short printable text, otherwise
 * quoted, escaped and cut to 80 characters, so the message stays one clean line.
 */
function show (value: string): string {
  if (value.length <= 80 && /^[\x21-\x7e]+$/.test(value)) return value
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)
}

function checkMultiaddr (value: string, flag: string): string {
  try {
    const ma = multiaddr(value)
    if (!ma.getComponents().some(c => c.name === 'tcp')) throw new ArgError(`${flag} ${show(value)}: needs a TCP address, e.g. /ip4/127.0.0.1/tcp/4001`)
    return ma.toString()
  } catch (err) {
    if (err instanceof ArgError) throw err
    throw new ArgError(`${flag} ${show(value)}: not a valid multiaddr`)
  }
}

function parseHttp (value: string): { host: string, port: number } {
  const m = /^(?:(\[[0-9a-fA-F:]+\]|[^:]+):)?(\d{1,5})$/.exec(value)
  if (m === null) throw new ArgError(`--http ${show(value)}: expected [host:]port, e.g. 127.0.0.1:8080 or 8080`)
  const port = Number(m[2])
  if (port > 65535) throw new ArgError(`--http ${show(value)}: port must be 0–65535`)
  const host = (m[1] ?? DEFAULT_HTTP.host).replace(/^\[|\]$/g, '')
  return { host, port }
}

function parseTag (value: string, tags: Record<string, string>): void {
  const eq = value.indexOf('=')
  if (eq <= 0) throw new ArgError(`--tag ${show(value)}: expected key=value`)
  const key = value.slice(0, eq)
  const val = value.slice(eq + 1)
  if (key.length > SWIM_LIMITS.tagKeyChars) throw new ArgError(`--tag ${show(key)}: key longer than ${SWIM_LIMITS.tagKeyChars} characters`)
  if (val.length > SWIM_LIMITS.tagValueChars) throw new ArgError(`--tag ${show(key)}: value longer than ${SWIM_LIMITS.tagValueChars} characters`)
  tags[key] = val
  if (Object.keys(tags).length > SWIM_LIMITS.tags) throw new ArgError(`--tag: at most ${SWIM_LIMITS.tags} tags`)
}

/** True for bind addresses only this machine can reach (strict: no `*.localhost`, which DNS may map anywhere). */
export function isLoopbackAddress (host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** Environment variables the peer reads (see parseArgs). */
export type PeerEnv = Readonly<Record<string, string | undefined>>

/**
 * Parses the command line. `env` supplies `MURMUR_HTTP_TOKEN` when no token flag is given (pass
 * `process.env`; the default is none, so parsing stays pure).
 */
export function parseArgs (argv: readonly string[], env: PeerEnv = {}): ParsedArgs {
  try {
    return parse(argv, env)
  } catch (err) {
    if (err instanceof ArgError) return { kind: 'error', message: err.message }
    throw err
  }
}

function parse (argv: readonly string[], env: PeerEnv): ParsedArgs {
  const o: PeerCliOptions = {
    listen: [],
    bootstrap: [],
    dataDir: DEFAULT_DATA_DIR,
    tags: {},
    http: DEFAULT_HTTP,
    mdns: false,
    profile: 'lan',
    allowFaultInjection: false,
    allowPeers: [],
    httpAllowHosts: [],
    logLevel: 'info'
  }
  let certFile: string | undefined
  let keyFile: string | undefined
  let noHttp = false
  let httpGiven = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    let flag = arg
    let value: string | undefined
    const eq = arg.indexOf('=')
    if (arg.startsWith('--') && eq > 0) {
      flag = arg.slice(0, eq)
      value = arg.slice(eq + 1)
    }
    if (BOOLEAN_FLAGS.has(flag)) {
      if (value !== undefined) throw new ArgError(`${show(flag)} takes no value`)
      switch (flag) {
        case '--help': case '-h': return { kind: 'help' }
        case '--version': case '-v': return { kind: 'version' }
        case '--mdns': o.mdns = true; break
        case '--allow-fault-injection': o.allowFaultInjection = true; break
        case '--no-http': noHttp = true; break
      }
      continue
    }
    if (!VALUE_FLAGS.has(flag)) {
      throw new ArgError(arg.startsWith('-') ? `unknown flag ${show(flag)} (see --help)` : `unexpected argument ${show(arg)} (see --help)`)
    }
    if (value === undefined) {
      value = argv[++i]
      if (value === undefined || (value.startsWith('--') && VALUE_FLAGS.has(value))) throw new ArgError(`${flag} needs a value (see --help)`)
    }
    if (value === '' && flag !== '--name') throw new ArgError(`${flag} needs a non-empty value`)
    switch (flag) {
      case '--listen': o.listen.push(checkMultiaddr(value, flag)); break
      case '--bootstrap':
        for (const part of value.split(',').map(s => s.trim()).filter(s => s !== '')) o.bootstrap.push(checkMultiaddr(part, flag))
        break
      case '--data-dir': o.dataDir = value; break
      case '--name':
        if (value.trim() === '' || value.length > SWIM_LIMITS.nameChars) throw new ArgError(`--name must be 1–${SWIM_LIMITS.nameChars} characters`)
        o.name = value
        break
      case '--tag': parseTag(value, o.tags); break
      case '--http': o.http = parseHttp(value); httpGiven = true; break
      case '--http-token':
        if (value.length < MIN_TOKEN_CHARS) throw new ArgError(`--http-token must be at least ${MIN_TOKEN_CHARS} characters`)
        o.httpToken = value
        break
      case '--http-token-file': o.httpTokenFile = value; break
      case '--http-allow-host':
        if (!ALLOW_HOST.test(value) || value.length > 253) throw new ArgError(`--http-allow-host ${show(value)}: expected a host name (no port), .domain or IP address`)
        o.httpAllowHosts.push(value.toLowerCase())
        break
      case '--https-cert': certFile = value; break
      case '--https-key': keyFile = value; break
      case '--psk': o.pskFile = value; break
      case '--allow-peer':
        if (!PEER_ID.test(value)) throw new ArgError(`--allow-peer ${show(value)}: not a peer id`)
        o.allowPeers.push(value)
        break
      case '--profile':
        if (value !== 'lan' && value !== 'local') throw new ArgError(`--profile must be lan or local, got ${show(value)}`)
        o.profile = value
        break
      case '--log-level':
        if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new ArgError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`)
        o.logLevel = value as LogLevelName
        break
    }
  }
  if (noHttp) {
    if (httpGiven) throw new ArgError('--http and --no-http contradict each other')
    delete o.http
  }
  if (o.httpToken !== undefined && o.httpTokenFile !== undefined) throw new ArgError('--http-token and --http-token-file contradict each other')
  const envToken = env.MURMUR_HTTP_TOKEN
  if (o.httpToken === undefined && o.httpTokenFile === undefined && envToken !== undefined && envToken !== '') {
    if (envToken.length < MIN_TOKEN_CHARS) throw new ArgError(`MURMUR_HTTP_TOKEN must be at least ${MIN_TOKEN_CHARS} characters`)
    o.httpToken = envToken
  }
  if ((certFile === undefined) !== (keyFile === undefined)) throw new ArgError('--https-cert and --https-key go together')
  if (certFile !== undefined && keyFile !== undefined) {
    if (o.http === undefined) throw new ArgError('--https-cert/--https-key need the HTTP API (drop --no-http)')
    o.https = { certFile, keyFile }
  }
  if (o.http !== undefined && !isLoopbackAddress(o.http.host) && o.httpToken === undefined && o.httpTokenFile === undefined) {
    throw new ArgError(`--http ${o.http.host}:${o.http.port} is reachable from other machines: also pass --http-token-file <file> (or MURMUR_HTTP_TOKEN)`)
  }
  if (o.listen.length === 0) o.listen.push(DEFAULT_LISTEN)
  return { kind: 'run', options: o }
}
