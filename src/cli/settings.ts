/**
 * Where a peer's settings come from: command-line flags, `MURMUR_*` environment variables and a JSON
 * config file (`--config`), in that order of precedence — the layering of Consul and Vault. Every flag is
 * a key of the file (its name without `--`) and an environment variable (`MURMUR_` + the name in upper
 * snake case). A setting given in a higher layer replaces the lower layers' value whole (a `--listen`
 * flag replaces the file's `listen` list; it does not add to it).
 *
 * This module only collects `--flag value` settings with their origin; args.ts validates them.
 */
import { closest } from '../core/suggest.js'

/** How a flag takes its value. */
export type FlagKind =
  | 'value' // --flag <value>
  | 'list' // --flag <value>, repeatable; comma-separated in the environment
  | 'switch' // --flag; true/false in the environment and the file
  | 'optional' // --flag [value] (--mdns [cluster]); true/false or a value elsewhere

export interface FlagSpec {
  flag: string
  kind: FlagKind
  /** Flags with the same key replace each other across layers (--http and --no-http, the two token flags). */
  key: string
}

const spec = (flag: string, kind: FlagKind, key = flag): FlagSpec => ({ flag, kind, key })

/** Every flag of the peer (`node dist/peer.js`, `murmur agent`) but --help, --version and --config. */
export const PEER_FLAGS: readonly FlagSpec[] = [
  spec('--listen', 'list'),
  spec('--bootstrap', 'list'),
  spec('--advertise', 'list'),
  spec('--data-dir', 'value'),
  spec('--name', 'value'),
  spec('--tag', 'list'),
  spec('--http', 'value', 'http'),
  spec('--no-http', 'switch', 'http'),
  spec('--http-token', 'value', 'token'),
  spec('--http-token-file', 'value', 'token'),
  spec('--http-allow-host', 'list'),
  spec('--http-allow-origin', 'list'),
  spec('--https-cert', 'value'),
  spec('--https-key', 'value'),
  spec('--psk', 'value'),
  spec('--allow-peer', 'list'),
  spec('--mdns', 'optional'),
  spec('--profile', 'value'),
  spec('--replicas', 'value'),
  spec('--allow-fault-injection', 'switch'),
  spec('--no-datagrams', 'switch'),
  spec('--no-rejoin', 'switch'),
  spec('--log-level', 'value')
]

export const FLAGS_BY_NAME: ReadonlyMap<string, FlagSpec> = new Map(PEER_FLAGS.map(f => [f.flag, f]))

/** `--http-token-file` → `MURMUR_HTTP_TOKEN_FILE`. */
export const envName = (flag: string): string => `MURMUR_${flag.slice(2).toUpperCase().replaceAll('-', '_')}`
/** `--http-token-file` → `http-token-file` (its key in a config file). */
export const fileKey = (flag: string): string => flag.slice(2)

/** One `--flag value` (value undefined for a switch that is on), with where it came from. */
export interface Setting {
  spec: FlagSpec
  value: string | undefined
  /** A switch (or --mdns) turned off explicitly by a lower-precedence layer's `false`. */
  off?: boolean
  /** For messages: undefined for the command line, else e.g. `MURMUR_HTTP` or `murmur.json: "http"`. */
  origin?: string
}

export class SettingsError extends Error {
  override name = 'SettingsError'
}

/**
 * A settings file's bytes as text, or a SettingsError naming `file` and the offset of the first byte that
 * is not UTF-8. Decoded leniently, a file saved as Latin-1 ran with U+FFFD in place of its é (a peer named
 * "caf\uFFFD"), and nothing said so.
 */
export function decodeSettingsFile (bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    const at = firstNonUtf8Byte(bytes) ?? 0
    const byte = (bytes[at] ?? 0).toString(16).padStart(2, '0')
    throw new SettingsError(`${file}: not valid UTF-8 (byte 0x${byte} at byte offset ${at}): save it as UTF-8`)
  }
}

/**
 * Where the first ill-formed sequence starts (Unicode table 3-7: no overlong forms, no surrogates, nothing
 * past U+10FFFF), or undefined: TextDecoder's fatal mode says only that there is one.
 */
export function firstNonUtf8Byte (bytes: Uint8Array): number | undefined {
  let i = 0
  while (i < bytes.length) {
    const lead = bytes[i] ?? 0
    const seq = utf8Sequence(lead)
    if (seq === undefined) return i
    for (let k = 1; k <= seq.more; k++) {
      const next = bytes[i + k]
      const [lo, hi] = k === 1 ? [seq.lo, seq.hi] : [0x80, 0xbf]
      if (next === undefined || next < lo || next > hi) return i
    }
    i += seq.more + 1
  }
  return undefined
}

/** For a lead byte: how many continuation bytes follow and the range of the first; undefined if it cannot lead. */
function utf8Sequence (lead: number): { more: number, lo: number, hi: number } | undefined {
  if (lead < 0x80) return { more: 0, lo: 0, hi: 0 }
  if (lead >= 0xc2 && lead <= 0xdf) return { more: 1, lo: 0x80, hi: 0xbf }
  if (lead >= 0xe0 && lead <= 0xef) return { more: 2, lo: lead === 0xe0 ? 0xa0 : 0x80, hi: lead === 0xed ? 0x9f : 0xbf }
  if (lead >= 0xf0 && lead <= 0xf4) return { more: 3, lo: lead === 0xf0 ? 0x90 : 0x80, hi: lead === 0xf4 ? 0x8f : 0xbf }
  return undefined
}

const TRUE = new Set(['1', 'true', 'yes', 'on'])
const FALSE = new Set(['0', 'false', 'no', 'off'])

/**
 * A `MURMUR_*` value as murmur reads it, the agent and the `murmur` client alike: trimmed (a ConfigMap or
 * Secret made from a file ends in a newline), blank as unset.
 */
export function envValue (env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const v = env[name]?.trim()
  return v === undefined || v === '' ? undefined : v
}

/** Settings from `MURMUR_*` variables; unknown `MURMUR_*` names are not ours (tests, Kubernetes links) and are left alone. */
export function settingsFromEnv (env: Readonly<Record<string, string | undefined>>): Setting[] {
  const out: Setting[] = []
  for (const s of PEER_FLAGS) {
    const name = envName(s.flag)
    const v = envValue(env, name)
    if (v === undefined) continue
    switch (s.kind) {
      // Trimmed like everything else here: a value from a file (a ConfigMap, a YAML block) ends in a
      // newline, which made a data dir named "/var/lib/murmur\n" or refused MURMUR_REPLICAS=" 2".
      case 'value': out.push({ spec: s, value: v, origin: name }); break
      case 'list':
        for (const part of v.split(',').map(p => p.trim()).filter(p => p !== '')) out.push({ spec: s, value: part, origin: name })
        break
      case 'switch':
        if (TRUE.has(v.toLowerCase())) out.push({ spec: s, value: undefined, origin: name })
        else if (FALSE.has(v.toLowerCase())) out.push({ spec: s, value: undefined, off: true, origin: name })
        else throw new SettingsError(`${name}=${JSON.stringify(v.slice(0, 40))}: expected true or false`)
        break
      case 'optional':
        if (TRUE.has(v.toLowerCase())) out.push({ spec: s, value: undefined, origin: name })
        else if (FALSE.has(v.toLowerCase())) out.push({ spec: s, value: undefined, off: true, origin: name })
        else out.push({ spec: s, value: v, origin: name })
        break
    }
  }
  return out
}

/** `MURMUR_*` names read elsewhere than as settings: the config file, the `murmur` client's agent address, the benchmarks' peer. */
const OTHER_ENV = ['MURMUR_CONFIG', 'MURMUR_HTTP_ADDR', 'MURMUR_PEER_JS']

/**
 * Warnings for `MURMUR_*` variables that look like a misspelt setting (`MURMUR_BOOTSTARP`): they are
 * ignored like every unknown name — Kubernetes injects `MURMUR_SERVICE_HOST`, `MURMUR_PORT_4001_TCP`… for
 * a Service named murmur — but one a letter or two away from a setting is most likely a typo that would
 * otherwise go unnoticed (the peer starts alone, or with the default data dir).
 */
export function misspeltEnv (env: Readonly<Record<string, string | undefined>>): string[] {
  const known = [...PEER_FLAGS.map(f => envName(f.flag)), ...OTHER_ENV]
  const out: string[] = []
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith('MURMUR_') || known.includes(name) || name.length > 64) continue
    const best = closest(name, known)
    if (best !== undefined) out.push(`${name} is not a setting and is ignored: did you mean ${best}?`)
  }
  return out
}

/** Settings from a config file's JSON text (an object whose keys are flag names without `--`). */
export function settingsFromFile (text: string, file: string): Setting[] {
  let json: unknown
  try {
    // A byte order mark (Windows editors write one) is no part of the JSON, and JSON.parse refuses it.
    json = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text)
  } catch (err) {
    throw new SettingsError(`${file}: not valid JSON (${err instanceof Error ? err.message.split('\n')[0] ?? '' : ''})`)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new SettingsError(`${file}: expected a JSON object of settings, e.g. {"listen": ["/ip4/0.0.0.0/tcp/4001"]}`)
  const out: Setting[] = []
  for (const [key, value] of Object.entries(json)) {
    const s = FLAGS_BY_NAME.get(`--${key}`)
    const origin = `${file}: ${JSON.stringify(key)}`
    if (s === undefined) {
      const near = closest(`--${key}`, FLAGS_BY_NAME.keys())
      throw new SettingsError(`${file}: unknown setting ${JSON.stringify(key)} (${near === undefined ? '' : `did you mean ${JSON.stringify(near.slice(2))}? `}settings are the flags of --help, without the dashes)`)
    }
    const scalar = (v: unknown): string => {
      if (typeof v === 'string') return v
      if (typeof v === 'number' && Number.isFinite(v)) return String(v)
      throw new SettingsError(`${origin}: expected a string${s.kind === 'list' ? ' or a list of strings' : ''}`)
    }
    switch (s.kind) {
      case 'value': out.push({ spec: s, value: scalar(value), origin }); break
      case 'list':
        if (s.flag === '--tag' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
          for (const [k, v] of Object.entries(value)) {
            // Written out as "k=v" and split at the first "=" again: {"a=b": "x"} was the tag a = "b=x".
            if (k.includes('=')) throw new SettingsError(`${origin}: tag key ${JSON.stringify(k)} holds "=", which ends a key: expected key=value`)
            out.push({ spec: s, value: `${k}=${scalar(v)}`, origin })
          }
        } else {
          for (const v of Array.isArray(value) ? value : [value]) out.push({ spec: s, value: scalar(v), origin })
        }
        break
      case 'switch':
        if (typeof value !== 'boolean') throw new SettingsError(`${origin}: expected true or false`)
        out.push({ spec: s, value: undefined, ...(value ? {} : { off: true }), origin })
        break
      case 'optional':
        if (typeof value === 'boolean') out.push({ spec: s, value: undefined, ...(value ? {} : { off: true }), origin })
        else out.push({ spec: s, value: scalar(value), origin })
        break
    }
  }
  return out
}

/**
 * Merges layers, highest precedence first: for each key, the settings of the first layer that has it.
 * Command-line order is kept (it matters for messages only).
 */
export function mergeLayers (layers: ReadonlyArray<readonly Setting[]>): Setting[] {
  const taken = new Set<string>()
  const out: Setting[] = []
  for (const layer of layers) {
    const claims = new Set(layer.map(claim))
    for (const s of layer) if (!taken.has(s.spec.key) && !taken.has(s.spec.flag)) out.push(s)
    for (const c of claims) taken.add(c)
  }
  return out.filter(s => s.off !== true)
}

/**
 * What a setting replaces in lower layers: its key, except for a switch turned off that shares its key with
 * a flag taking a value — MURMUR_NO_HTTP=false says only "not --no-http"; it took the key `http`, and the
 * file's "http": "0.0.0.0:8080" was dropped for the default loopback address, in silence.
 */
function claim (s: Setting): string {
  return s.off === true && s.spec.key !== s.spec.flag ? s.spec.flag : s.spec.key
}
