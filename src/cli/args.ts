/**
 * Command-line flags of `node dist/peer.js` and `murmur agent` (the fixed CLI table of DESIGN.md), over
 * `MURMUR_*` environment variables and a `--config` JSON file (settings.ts), parsed and validated into
 * PeerCliOptions. Pure (the environment and file reads are passed in), so every bad input has a test and
 * a one-line message.
 */
import { isIP, isIPv6 } from 'node:net'
import path from 'node:path'
import type { LogLevelName } from '../core/logger.js'
import { memberTextProblem } from '../core/member-text.js'
import { terminalSafeJson } from '../core/terminal-safe.js'
import { SWIM_LIMITS } from '../membership/codec.js'
import { isLoopbackIpv6, parseOrigin, tokenProblem } from '../http/access.js'
import { isPeerId, listenClash, parseMultiaddr, tcpAddrProblem } from '../net/addresses.js'
import { tagCountProblem } from '../peer-options.js'
import { MAX_REPLICAS } from '../replication/max-replicas.js'
import { MAX_MDNS_CLUSTER_CHARS, MDNS_CLUSTER_NAME } from '../net/config.js'
import { FLAGS_BY_NAME, SettingsError, decodeSettingsFile, envValue, mergeLayers, settingsFromEnv, settingsFromFile } from './settings.js'
import type { Setting } from './settings.js'
import { closest } from '../core/suggest.js'

export interface PeerCliOptions {
  listen: string[]
  bootstrap: string[]
  /** Addresses other peers should dial instead of the listen ones (NAT, containers). */
  advertise: string[]
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
  /** Browser origins allowed to call the API (`--http-allow-origin`), as browsers send them. */
  httpAllowOrigins: string[]
  /** Serve HTTPS: PEM certificate and key files (both or neither). */
  https?: { certFile: string, keyFile: string }
  pskFile?: string
  mdns: boolean
  /** `--mdns <cluster>`: only peers announcing the same cluster name are discovered. */
  mdnsCluster?: string
  profile: 'lan' | 'local'
  /** R: homes per document (`--replicas`, default 3). */
  replicas: number
  allowFaultInjection: boolean
  /** --no-datagrams: membership's pings and acks over the connections only, no UDP. */
  datagrams: boolean
  /** --no-rejoin: neither remember the members alive in the data dir nor join through them at start. */
  rejoin: boolean
  allowPeers: string[]
  logLevel: LogLevelName
  /** The `--config` file these options were read from (SIGHUP reads it again). */
  configFile?: string
  /**
   * Where each setting not given on the command line came from, by flag (`--psk` → `MURMUR_PSK`, or
   * `murmur.json: "psk"`): a message about its file (read later, at start-up) names what the operator wrote.
   */
  origins?: Record<string, string>
}

export type ParsedArgs =
  | { kind: 'run', options: PeerCliOptions }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'error', message: string }

export const DEFAULT_LISTEN = '/ip4/0.0.0.0/tcp/0'
export const DEFAULT_DATA_DIR = '.murmur'
export const DEFAULT_HTTP = { host: '127.0.0.1', port: 0 }
/** Where the agent writes its HTTP URL, in its data dir: how `murmur members` finds a local agent. */
export const HTTP_ADDR_FILE = 'http-addr'

export const HELP = `Usage: node dist/peer.js [options]

Starts a murmur peer: SWIM membership and Yjs document replication over libp2p, with an HTTP API.

Options:
  --listen <multiaddr>       where to listen (TCP); repeatable (default ${DEFAULT_LISTEN})
  --bootstrap <multiaddr>    peer to join through; repeatable, or comma-separated. A /dns4, /dns6 or
                             /dns name is resolved to every address it has, and each is dialled
  --advertise <multiaddr>    the address other peers should dial (behind NAT, in a container);
                             repeatable (default: the listen addresses)
  --data-dir <dir>           identity key and documents; same dir = same peer id (default ${DEFAULT_DATA_DIR})
  --name <name>              human-readable member name (default: hostname and port)
  --tag <key=value>          member metadata, gossiped; repeatable (at most 31)
  --http <[host:]port>       serve the HTTP API there (default ${DEFAULT_HTTP.host}:${DEFAULT_HTTP.port}: loopback, any free port)
  --no-http                  do not serve the HTTP API
  --http-token-file <file>   require "Authorization: Bearer <token>", the token read from this file
                             (mode 0600); or set MURMUR_HTTP_TOKEN. Mandatory when --http is not loopback
  --http-token <token>       the same with the token on the command line (visible to other users in ps)
  --http-allow-host <name>   also serve requests whose Host is <name> (.example.com: and subdomains);
                             without a token only loopback Hosts are served; repeatable
  --http-allow-origin <origin>
                             let pages on <origin> (http://localhost:5173) call the API and open its
                             WebSockets from the browser (CORS); the token, if set, is still needed;
                             repeatable
  --https-cert <file>        serve HTTPS with this PEM certificate (with --https-key)
  --https-key <file>         the certificate's PEM private key (mode 0600)
  --psk <file>               private network: only peers holding the same swarm key can connect
  --allow-peer <peerId>      only these peers may connect; repeatable
  --mdns [cluster]           discover and dial peers on the local network; with a cluster name, only
                             peers started with the same name
  --profile lan|local        timing preset, like memberlist's LAN and local configs (default lan)
  --replicas <n>             homes per document: every write is kept on n peers (default 3; every
                             peer when fewer are alive). Use the same value on every peer
  --allow-fault-injection    enable the /admin/* endpoints (tests, partition-heal script)
  --no-datagrams             membership pings and acks over TCP only (default: UDP on the listen port,
                             falling back to TCP by itself where UDP does not get through)
  --no-rejoin                do not remember the members last seen alive (members.json in the data
                             dir) nor join through them at start (default: a restart without
                             --bootstrap finds the mesh again through them)
  --log-level <level>        debug, info, warn or error (default info)
  --config <file.json>       settings from a JSON file (- : standard input): every flag is a key
                             ("data-dir", "tag": {...}); MURMUR_<FLAG> environment variables too
                             (MURMUR_DATA_DIR, comma-separated lists). Flags beat the environment,
                             which beats the file. SIGHUP re-reads the file and applies changed tags,
                             --allow-peer, --http-allow-host and --http-allow-origin
  --help                     show this help
  --version                  show the version

Examples:
  node dist/peer.js --listen /ip4/0.0.0.0/tcp/4001 --data-dir ./seed --http 8080
  node dist/peer.js --bootstrap /ip4/10.0.0.5/tcp/4001/p2p/12D3KooW... --data-dir ./p2
`

/** HELP with `command` wherever it says `node dist/peer.js` (its usage line and examples). */
export function peerHelp (command: string): string {
  return HELP.replaceAll('node dist/peer.js', command)
}

/**
 * How the peer process was started, as its help should name it: the command's name when it is no .js
 * file (`murmur-peer`, the package's bin: a link to dist/peer.js), else `node <script>`, relative to
 * `cwd` when under it (`node dist/peer.js` from a checkout).
 */
export function invokedAs (script: string | undefined, cwd: string): string {
  if (script === undefined || script === '') return 'node dist/peer.js'
  if (!/\.[cm]?js$/.test(script)) return path.basename(script)
  const relative = path.relative(cwd, script)
  return `node ${relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? script : relative}`
}

const LOG_LEVELS: readonly LogLevelName[] = ['debug', 'info', 'warn', 'error']
/** A settings file is a few hundred bytes; anything past this is not one. */
export const MAX_CONFIG_CHARS = 1024 * 1024
/** `name`, `.domain`, an IPv4 address or a bracketed/bare IPv6 address. */
const ALLOW_HOST_NAME = /^\.?[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62}))*\.?$/
/** A name, `.domain`, or an IP address (IPv6 with or without brackets): `.`, `...` or `:::` matched no Host, in silence. */
const isAllowHost = (value: string): boolean => ALLOW_HOST_NAME.test(value) || isIP(value.replace(/^\[(.*)\]$/, '$1')) !== 0

class ArgError extends Error {}

/**
 * A user-supplied value as it appears in an error: as typed when it is short printable text, otherwise
 * quoted, escaped and cut to 80 characters, so the message stays one clean line.
 */
function show (value: string): string {
  if (value.length <= 80 && /^[\x21-\x7e]+$/.test(value)) return value
  // terminalSafeJson, not JSON.stringify: a bidi control in the value reordered the message on the terminal.
  return terminalSafeJson(value.length > 80 ? `${value.slice(0, 80)}…` : value)
}

/**
 * A file or directory path as given: one that starts with `~` reached us unexpanded (the shell expands it
 * only at the start of a word, not after `--data-dir=`, and never in the environment or a config file),
 * and the peer then made a directory named `~` in the working directory, a new identity in it.
 */
function checkPath (flag: string, value: string): string {
  if (value.startsWith('~')) throw new ArgError(`${flag} ${show(value)}: ~ is not expanded here; write the full path (or ${show(`./${value}`)} for a directory named ~ here)`)
  return value
}

function checkMultiaddr (value: string, flag: string): string {
  const ma = parseMultiaddr(value)
  if (ma === undefined) throw new ArgError(`${flag} ${show(value)}: not a valid multiaddr`)
  const problem = tcpAddrProblem(ma, flag === '--listen' ? 'listen' : 'dial', show)
  if (problem !== undefined) throw new ArgError(`${flag} ${show(value)}: ${problem}`)
  return ma.toString()
}

/**
 * `::1:8080` written as it should be, `[::1]:8080` (an `http(s)://` before it is dropped), and a bare IPv6
 * address as `[::1]:<port>`; undefined when `value` is neither. The general message did not point at them.
 * The last group is taken for the port unless what is left before it is no address but `::` (the any
 * address: `::1` is the loopback address, not port 1 of `::`, which was suggested as `[:]:1`).
 */
export function bracketedIpv6 (value: string): string | undefined {
  const bare = value.replace(/^https?:\/\//, '')
  const m = /^(.*):(\d{1,5})$/.exec(bare)
  if (m !== null && m[1] !== '::' && isIPv6(m[1] ?? '')) return `[${m[1] ?? ''}]:${m[2] ?? ''}`
  return isIPv6(bare) ? `[${bare}]:<port>` : undefined
}

function parseHttp (value: string): { host: string, port: number } {
  // Dots in brackets too: an IPv4-mapped address, [::ffff:127.0.0.1].
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:]+):)?(\d{1,5})$/.exec(value)
  if (m === null) {
    const bracketed = bracketedIpv6(value)
    if (bracketed !== undefined) throw new ArgError(`--http ${show(value)}: an IPv6 host goes in brackets: ${bracketed}`)
    throw new ArgError(`--http ${show(value)}: expected [host:]port, e.g. 127.0.0.1:8080 or 8080`)
  }
  const port = Number(m[2])
  if (port > 65535) throw new ArgError(`--http ${show(value)}: port must be 0–65535`)
  const host = (m[1] ?? DEFAULT_HTTP.host).replace(/^\[|\]$/g, '')
  return { host, port }
}

function checkName (value: string): string {
  if (value.trim() === '' || value.length > SWIM_LIMITS.nameChars) throw new ArgError(`--name must be 1–${SWIM_LIMITS.nameChars} characters`)
  // A newline or an escape was gossiped as it was, and every printer showed it as \u000a.
  const problem = memberTextProblem(value)
  if (problem !== undefined) throw new ArgError(`--name ${show(value)}: ${problem}`)
  return value
}

/** Why a tag key `__proto__` is refused (by --tag and `murmur tags set`). */
export const PROTO_TAG_KEY = 'the key __proto__ is refused (JSON readers take it as the object\'s prototype, not a key)'

function parseTag (value: string, tags: Record<string, string>): void {
  const eq = value.indexOf('=')
  if (eq <= 0) throw new ArgError(`--tag ${show(value)}: expected key=value`)
  const key = value.slice(0, eq)
  const val = value.slice(eq + 1)
  if (key.length > SWIM_LIMITS.tagKeyChars) throw new ArgError(`--tag ${show(key)}: key longer than ${SWIM_LIMITS.tagKeyChars} characters`)
  if (val.length > SWIM_LIMITS.tagValueChars) throw new ArgError(`--tag ${show(key)}: value longer than ${SWIM_LIMITS.tagValueChars} characters`)
  for (const [what, text] of [['key', key], ['value', val]] as const) {
    const problem = memberTextProblem(text)
    if (problem !== undefined) throw new ArgError(`--tag ${show(value)}: ${what} ${problem}`)
  }
  // Stored below, it set the object's prototype and the tag was dropped without a word; a JSON body with it
  // is refused (POST /tags), as the other peers would read it as a prototype too.
  if (key === '__proto__') throw new ArgError(`--tag ${show(value)}: ${PROTO_TAG_KEY}`)
  // Of two values for one key the last was kept, silently (--tag role=db --tag role=web).
  if (Object.hasOwn(tags, key)) throw new ArgError(`--tag ${show(value)}: key ${show(key)} given twice`)
  tags[key] = val
  const tooMany = tagCountProblem(tags)
  if (tooMany !== undefined) throw new ArgError(`--tag: ${tooMany}`)
}

/** True for bind addresses only this machine can reach (strict: no `*.localhost`, which DNS may map anywhere). */
export function isLoopbackAddress (host: string): boolean {
  // Host names are case-insensitive: LOCALHOST was "reachable from other machines".
  const h = host.toLowerCase()
  return h === 'localhost' || isLoopbackIpv6(h) || /^127\.\d+\.\d+\.\d+$/.test(h)
}

/** Environment variables the peer reads: `MURMUR_<FLAG>` for every flag (see settings.ts). */
export type PeerEnv = Readonly<Record<string, string | undefined>>

export interface ParseIo {
  /**
   * Reads a `--config` file (the CLI passes its bytes, checked here to be UTF-8); without it `--config` is
   * an error.
   */
  readFile?: (file: string) => string | Uint8Array
}

/**
 * Parses the command line, layered over `MURMUR_*` variables of `env` and the JSON file of `--config`
 * (or `MURMUR_CONFIG`): flags > env > file. Pure given `env` and `io`: `parseArgs(argv)` reads neither.
 */
export function parseArgs (argv: readonly string[], env: PeerEnv = {}, io: ParseIo = {}): ParsedArgs {
  try {
    return parse(argv, env, io)
  } catch (err) {
    if (err instanceof ArgError || err instanceof SettingsError) return { kind: 'error', message: err.message }
    throw err
  }
}

const ARG_ONLY = new Set(['--help', '-h', '--version', '-v', '--config'])
/** The repeatable flags, for the message about one that is not. */
const LISTS = [...FLAGS_BY_NAME.values()].filter(f => f.kind === 'list').map(f => f.flag).join(', ')

/** The command line as settings; --help and --version win at once; --config is returned apart. */
function fromArgv (argv: readonly string[]): { settings: Setting[], config?: string } | 'help' | 'version' {
  const settings: Setting[] = []
  let config: string | undefined
  /** Single-value flags and switches seen: one given twice kept the last, silently (`--data-dir a --data-dir b` ran on b). */
  const given = new Set<string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    let flag = arg
    let value: string | undefined
    const eq = arg.indexOf('=')
    if (arg.startsWith('--') && eq > 0) {
      flag = arg.slice(0, eq)
      value = arg.slice(eq + 1)
    }
    if (flag === '--help' || flag === '-h' || flag === '--version' || flag === '-v') {
      if (value !== undefined) throw new ArgError(`${show(flag)} takes no value`)
      return flag === '--help' || flag === '-h' ? 'help' : 'version'
    }
    const spec = FLAGS_BY_NAME.get(flag)
    if (spec === undefined && flag !== '--config') {
      if (!arg.startsWith('-')) throw new ArgError(`unexpected argument ${show(arg)} (see --help)`)
      const near = closest(flag, [...FLAGS_BY_NAME.keys(), '--config', '--help', '--version'])
      throw new ArgError(`unknown flag ${show(flag)} (${near === undefined ? '' : `did you mean ${near}? `}see --help)`)
    }
    if (spec?.kind !== 'switch' && spec?.kind !== 'list') {
      if (given.has(flag)) throw new ArgError(`${flag} given twice: it takes one value (only ${LISTS} repeat)`)
      given.add(flag)
    }
    if (spec?.kind === 'switch') {
      if (value !== undefined) throw new ArgError(`${show(flag)} takes no value`)
      // As for a flag with a value (and --mdns): a second one is an error naming it, not taken in silence.
      if (given.has(flag)) throw new ArgError(`${flag} given twice (only ${LISTS} repeat)`)
      given.add(flag)
      settings.push({ spec, value: undefined })
      continue
    }
    if (spec?.kind === 'optional') {
      // --mdns [cluster]: the next word is its value unless it is a flag.
      const next = argv[i + 1]
      if (value === undefined && next !== undefined && !next.startsWith('-')) value = argv[++i]
      if (value === '') throw new ArgError(`${flag} needs a non-empty value when it has one`)
      settings.push({ spec, value })
      continue
    }
    if (value === undefined) {
      value = argv[++i]
      if (value === undefined || (value.startsWith('--') && (FLAGS_BY_NAME.has(value) || ARG_ONLY.has(value)))) throw new ArgError(`${flag} needs a value (see --help)`)
    }
    if (spec === undefined) config = value
    else if (spec.flag === '--bootstrap') {
      const parts = value.split(',').map(p => p.trim()).filter(p => p !== '')
      // `--bootstrap "$SEED"` with SEED unset would otherwise start a lone peer, a mesh of its own.
      if (parts.length === 0) throw new ArgError('--bootstrap needs a non-empty value')
      for (const part of parts) settings.push({ spec, value: part })
    }
    else settings.push({ spec, value })
  }
  return config === undefined ? { settings } : { settings, config }
}

function parse (argv: readonly string[], env: PeerEnv, io: ParseIo): ParsedArgs {
  const cli = fromArgv(argv)
  if (cli === 'help' || cli === 'version') return { kind: cli }
  // Trimmed, blank unset, as every MURMUR_ value is (settings.ts): "m.json\n" from a ConfigMap was ENOENT.
  const configFile = cli.config ?? envValue(env, 'MURMUR_CONFIG')
  if (cli.config?.trim() === '') throw new ArgError('--config needs a non-empty value')
  if (configFile !== undefined) checkPath(cli.config === undefined ? 'MURMUR_CONFIG' : '--config', configFile)
  let fileSettings: Setting[] = []
  // Named as the operator gave it: a MURMUR_CONFIG that names a missing file is not a --config flag.
  const configFrom = cli.config === undefined ? 'MURMUR_CONFIG' : '--config'
  if (configFile !== undefined) {
    if (io.readFile === undefined) throw new ArgError(`${configFrom}: this program cannot read files`)
    let read: string | Uint8Array
    try {
      read = io.readFile(configFile)
    } catch (err) {
      throw new ArgError(`cannot read ${configFrom} ${show(configFile)}: ${(err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err))}`)
    }
    const shownFile = configFile === '-' ? 'standard input (--config -)' : configFile
    const tooLong = new ArgError(`${configFrom} ${show(configFile)} is over ${MAX_CONFIG_CHARS} characters: not a settings file`)
    // Size before encoding: more bytes than MAX_CONFIG_CHARS characters can take (/dev/urandom) is no settings file, UTF-8 or not.
    if (typeof read !== 'string' && read.length > 3 * MAX_CONFIG_CHARS) throw tooLong
    const text = typeof read === 'string' ? read : decodeSettingsFile(read, shownFile)
    if (text.length > MAX_CONFIG_CHARS) throw tooLong
    fileSettings = settingsFromFile(text, shownFile)
  }
  const o = apply(mergeLayers([cli.settings, settingsFromEnv(env), fileSettings]))
  if (configFile !== undefined) o.configFile = configFile
  return { kind: 'run', options: o }
}

function apply (settings: readonly Setting[]): PeerCliOptions {
  const o: PeerCliOptions = {
    listen: [],
    bootstrap: [],
    advertise: [],
    dataDir: DEFAULT_DATA_DIR,
    tags: {},
    http: DEFAULT_HTTP,
    mdns: false,
    profile: 'lan',
    replicas: 3,
    allowFaultInjection: false,
    datagrams: true,
    rejoin: true,
    allowPeers: [],
    httpAllowHosts: [],
    httpAllowOrigins: [],
    logLevel: 'info'
  }
  let certFile: string | undefined
  let keyFile: string | undefined
  let noHttp = false
  let httpGiven = false
  for (const s of settings) {
    if (s.origin !== undefined) (o.origins ??= {})[s.spec.flag] = s.origin
    else if (o.origins !== undefined) delete o.origins[s.spec.flag]
    try {
      applyOne(o, s, {
        cert: (v) => { certFile = v },
        key: (v) => { keyFile = v },
        noHttp: () => { noHttp = true },
        http: () => { httpGiven = true }
      })
    } catch (err) {
      if (err instanceof ArgError && s.origin !== undefined) throw new ArgError(`${s.origin}: ${err.message}`)
      throw err
    }
  }
  // These name where each setting came from: MURMUR_HTTP_TOKEN and MURMUR_HTTP_TOKEN_FILE were said to be
  // "--http-token and --http-token-file", flags the operator never typed and could not find to drop.
  const from = (flag: string): string => o.origins?.[flag] === undefined ? flag : `${flag} (${o.origins[flag]})`
  if (noHttp) {
    if (httpGiven) throw new ArgError(`${from('--http')} and ${from('--no-http')} contradict each other`)
    delete o.http
  }
  if (o.httpToken !== undefined && o.httpTokenFile !== undefined) throw new ArgError(`${from('--http-token')} and ${from('--http-token-file')} contradict each other: give one`)
  if ((certFile === undefined) !== (keyFile === undefined)) throw new ArgError(`--https-cert and --https-key go together (only ${from(certFile === undefined ? '--https-key' : '--https-cert')} is given)`)
  if (certFile !== undefined && keyFile !== undefined) {
    if (o.http === undefined) throw new ArgError(`--https-cert/--https-key need the HTTP API (drop ${from('--no-http')})`)
    o.https = { certFile, keyFile }
  }
  if (o.http !== undefined && !isLoopbackAddress(o.http.host) && o.httpToken === undefined && o.httpTokenFile === undefined) {
    const host = o.http.host.includes(':') ? `[${o.http.host}]` : o.http.host
    const http = o.origins?.['--http'] === undefined ? '' : ` (${o.origins['--http']})`
    throw new ArgError(`--http ${host}:${o.http.port}${http} is reachable from other machines: also pass --http-token-file <file> (or MURMUR_HTTP_TOKEN)`)
  }
  // Before anything starts: libp2p reported this as a bare EADDRINUSE, as if another program held the port.
  const clash = listenClash(o.listen)
  if (clash !== undefined) throw new ArgError(`${from('--listen')} ${show(clash.first)} and ${show(clash.second)} clash (${clash.why}): keep one, or give them different ports`)
  if (o.listen.length === 0) o.listen.push(DEFAULT_LISTEN)
  return o
}

function addOnce (list: string[], value: string): void {
  if (!list.includes(value)) list.push(value)
}

interface Collect { cert: (v: string) => void, key: (v: string) => void, noHttp: () => void, http: () => void }

function applyOne (o: PeerCliOptions, s: Setting, c: Collect): void {
  const flag = s.spec.flag
  if (s.spec.kind === 'switch') {
    if (flag === '--allow-fault-injection') o.allowFaultInjection = true
    else if (flag === '--no-datagrams') o.datagrams = false
    else if (flag === '--no-rejoin') o.rejoin = false
    else if (flag === '--no-http') c.noHttp()
    return
  }
  if (flag === '--mdns') {
    o.mdns = true
    if (s.value !== undefined) {
      if (!MDNS_CLUSTER_NAME.test(s.value)) throw new ArgError(`--mdns ${show(s.value)}: a cluster name is 1–${MAX_MDNS_CLUSTER_CHARS} lowercase letters, digits and dashes`)
      o.mdnsCluster = s.value
    }
    return
  }
  const value = s.value ?? ''
  // Blank too: a data dir of spaces ("data-dir": "  ", --data-dir "$DIR " with DIR unset) was made and used.
  if (value.trim() === '' && flag !== '--name') throw new ArgError(`${flag} needs a non-empty value`)
  switch (flag) {
    // Each address once: the same --listen twice was a start-up failure, EADDRINUSE against itself.
    case '--listen': addOnce(o.listen, checkMultiaddr(value, flag)); break
    case '--bootstrap': addOnce(o.bootstrap, checkMultiaddr(value, flag)); break
    case '--advertise': addOnce(o.advertise, checkMultiaddr(value, flag)); break
    case '--data-dir': o.dataDir = checkPath(flag, value); break
    case '--name': o.name = checkName(value); break
    case '--tag': parseTag(value, o.tags); break
    case '--http': o.http = parseHttp(value); c.http(); break
    case '--http-token': {
      // As --http-token-file's: surrounding whitespace is no part of it (a Secret made from a file ends
      // in a newline, and a token with one could never be sent).
      const token = value.trim()
      const problem = tokenProblem(token)
      if (problem !== undefined) throw new ArgError(`--http-token must be ${problem}`)
      o.httpToken = token
      break
    }
    case '--http-token-file': o.httpTokenFile = checkPath(flag, value); break
    case '--http-allow-host':
      if (!isAllowHost(value) || value.length > 253) throw new ArgError(`--http-allow-host ${show(value)}: expected a host name (no port), .domain or IP address`)
      o.httpAllowHosts.push(value.toLowerCase())
      break
    case '--http-allow-origin': {
      let origin: string
      try {
        origin = parseOrigin(value)
      } catch (err) {
        throw new ArgError(`--http-allow-origin ${show(value)}: ${(err as Error).message}`)
      }
      if (!o.httpAllowOrigins.includes(origin)) o.httpAllowOrigins.push(origin)
      break
    }
    case '--https-cert': c.cert(checkPath(flag, value)); break
    case '--https-key': c.key(checkPath(flag, value)); break
    case '--psk': o.pskFile = checkPath(flag, value); break
    case '--allow-peer':
      if (!isPeerId(value)) throw new ArgError(`--allow-peer ${show(value)}: not a peer id (they look like 12D3KooW…)`)
      o.allowPeers.push(value)
      break
    case '--profile':
      if (value !== 'lan' && value !== 'local') throw new ArgError(`--profile must be lan or local, got ${show(value)}`)
      o.profile = value
      break
    case '--replicas': {
      const n = Number(value)
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > MAX_REPLICAS) throw new ArgError(`--replicas must be an integer from 1 to ${MAX_REPLICAS}, got ${show(value)}`)
      o.replicas = n
      break
    }
    case '--log-level':
      if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new ArgError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`)
      o.logLevel = value as LogLevelName
      break
  }
}
