/**
 * What createPeer checks before it opens anything: each option a JavaScript caller (no type checker) or a
 * config it built may get wrong, refused with a ConfigError naming the option and the value — the rules of
 * the CLI's flags (src/cli/args.ts), not libp2p's errors from deep inside, or an address that is dialled
 * and fails forever, an allowlist entry that matches nobody, or a start-up that hangs.
 */
import { existsSync } from 'node:fs'
import type { PeerOptions } from './api.js'
import { requireStringRecord } from './core/config.js'
import { ConfigError } from './core/errors.js'
import { checkMemberTags, memberTextProblem } from './core/member-text.js'
import { closest } from './core/suggest.js'
import { terminalSafe, terminalSafeJson } from './core/terminal-safe.js'
import { isPeerId, parseMultiaddr, tcpAddrProblem } from './net/addresses.js'
import { MAX_MDNS_CLUSTER_CHARS, MDNS_CLUSTER_NAME } from './net/config.js'
import { tagCountProblem } from './presence/tag-count.js'

/** A value as it appears in a message: JSON, cut to 80 characters. */
function shown (value: unknown): string {
  const text = typeof value === 'string' ? value : String(value)
  return terminalSafeJson(text.length > 80 ? `${text.slice(0, 80)}…` : text)
}

/** A value that is not a string as it appears in a message: its JSON, cut to 80 characters (shown() quoted it again: `got "\"/ip4/…\""`). */
function shownJson (value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return terminalSafe(text.length > 80 ? `${text.slice(0, 80)}…` : text)
}

function strings (option: string, value: unknown, what: string): readonly string[] {
  if (!Array.isArray(value) || !value.every(v => typeof v === 'string')) throw new ConfigError(`${option} must be an array of ${what} strings, got ${shownJson(value)}`)
  return value
}

/**
 * Each of `value` a multiaddr the TCP transport can listen on (`listen`) or dial (the others: also what
 * `peer.join` takes, which POST /join checks the same way).
 * @throws ConfigError naming the option and the first address it cannot use.
 */
export function checkAddrs (option: 'listen' | 'bootstrap' | 'advertise' | 'join', value: unknown): void {
  if (value === undefined) return
  for (const addr of strings(option, value, 'multiaddr')) {
    const ma = parseMultiaddr(addr)
    if (ma === undefined) throw new ConfigError(`${option} ${shown(addr)}: not a valid multiaddr, e.g. /ip4/127.0.0.1/tcp/4001`)
    const problem = tcpAddrProblem(ma, option === 'listen' ? 'listen' : 'dial', shown)
    if (problem !== undefined) throw new ConfigError(`${option} ${shown(addr)}: ${problem}`)
  }
}

/**
 * Each of `value` a peer id (an allowlist entry that is not one matches nobody, silently).
 * @throws ConfigError naming the option and the first entry that is not.
 */
export function checkPeerIds (option: 'allowPeers' | 'setAllowedPeers', value: unknown): void {
  const bad = strings(option, value, 'peer id').find(id => !isPeerId(id))
  if (bad !== undefined) throw new ConfigError(`${option} ${shown(bad)}: not a peer id (they look like 12D3KooW…)`)
}

// How many tags a member may set lives beside the tag it keeps room for (presence/tag-count.ts).
export { MAX_USER_TAGS, tagCountProblem } from './presence/tag-count.js'

/** Every option createPeer takes (the type makes sure none is missing). */
const PEER_OPTIONS: Record<keyof PeerOptions, true> = {
  dataDir: true, listen: true, bootstrap: true, name: true, tags: true, psk: true, allowPeers: true, mdns: true, advertise: true,
  datagrams: true, rejoin: true, profile: true, membership: true, replication: true, presence: true, logger: true
}

/**
 * The first key of `options` not in `known`, as a message: `unknown option "dataDri" (did you mean dataDir?)`,
 * or the options there are when none is near. A misspelt option was ignored: `dataDri` started an in-memory
 * peer, `opid` a write without its idempotency key.
 */
export function unknownOption (options: object, known: readonly string[]): string | undefined {
  const key = Object.keys(options).find(k => !known.includes(k))
  if (key === undefined) return undefined
  const near = closest(key, known)
  return `unknown option ${shown(key)} (${near === undefined ? `options: ${known.join(', ')}` : `did you mean ${near}?`})`
}

const LOGGER_METHODS = ['debug', 'info', 'warn', 'error', 'child'] as const

/** @throws ConfigError for the first option createPeer could not use as given. */
export function checkPeerOptions (options: PeerOptions): void {
  const given: unknown = options
  if (typeof given !== 'object' || given === null) throw new ConfigError(`createPeer options must be an object, got ${given === null ? 'null' : typeof given}`)
  const unknown = unknownOption(options, Object.keys(PEER_OPTIONS))
  if (unknown !== undefined) throw new ConfigError(unknown)
  const logger: unknown = options.logger
  if (logger !== undefined && (typeof logger !== 'object' || logger === null || LOGGER_METHODS.some(m => typeof (logger as Record<string, unknown>)[m] !== 'function'))) {
    throw new ConfigError(`logger must be a Logger (debug, info, warn, error and child functions; createLogger makes one), got ${shownJson(logger)}`)
  }
  const mdns: unknown = options.mdns
  if (mdns !== undefined && typeof mdns !== 'boolean' && (typeof mdns !== 'object' || mdns === null)) throw new ConfigError(`mdns must be true, false or { cluster }, got ${shownJson(mdns)}`)
  checkAddrs('listen', options.listen)
  checkAddrs('bootstrap', options.bootstrap)
  checkAddrs('advertise', options.advertise)
  if (options.allowPeers !== undefined) checkPeerIds('allowPeers', options.allowPeers)
  const profile: unknown = options.profile
  if (profile !== undefined && profile !== 'lan' && profile !== 'local') throw new ConfigError(`profile must be "lan" or "local", got ${shown(profile)}`)
  const datagrams: unknown = options.datagrams
  if (datagrams !== undefined && typeof datagrams !== 'boolean') throw new ConfigError(`datagrams must be true or false, got ${shown(datagrams)}`)
  const rejoin: unknown = options.rejoin
  if (rejoin !== undefined && typeof rejoin !== 'boolean') throw new ConfigError(`rejoin must be true or false, got ${shown(rejoin)}`)
  const cluster: unknown = typeof options.mdns === 'object' ? options.mdns.cluster : undefined
  if (cluster !== undefined && (typeof cluster !== 'string' || !MDNS_CLUSTER_NAME.test(cluster))) {
    throw new ConfigError(`mdns.cluster ${shown(cluster)}: a cluster name is 1–${MAX_MDNS_CLUSTER_CHARS} lowercase letters, digits and dashes`)
  }
  if (options.tags !== undefined) {
    requireStringRecord(options.tags, 'tags')
    checkMemberTags(options.tags, 'tags')
    const tooMany = tagCountProblem(options.tags)
    if (tooMany !== undefined) throw new ConfigError(`tags: ${tooMany}`)
  }
  const dataDir: unknown = options.dataDir
  if (dataDir !== undefined && (typeof dataDir !== 'string' || dataDir === '')) throw new ConfigError(`dataDir must be a non-empty path, got ${shownJson(dataDir)}`)
  // Only a shell expands ~ (as for --data-dir): the peer made a directory named ~ here, a new identity in it.
  if (typeof dataDir === 'string' && dataDir.startsWith('~')) throw new ConfigError(`dataDir ${shown(dataDir)}: ~ is not expanded here; write the full path (path.join(os.homedir(), …))`)
  // The CLI's --psk and the config file's "psk" take a path; this option takes the key itself.
  const psk: unknown = options.psk
  if (typeof psk === 'string' && !psk.includes('\n') && existsSync(psk)) {
    throw new ConfigError(`psk ${shown(psk)} is a file's path: psk takes the key itself, the file's contents (readFileSync(path, 'utf8'))`)
  }
  const name: unknown = options.name
  if (name !== undefined && typeof name !== 'string') throw new ConfigError(`name must be a string, got ${typeof name}`)
  const nameProblem = typeof name === 'string' ? memberTextProblem(name) : undefined
  if (nameProblem !== undefined) throw new ConfigError(`name ${shown(name)} ${nameProblem}`)
}
