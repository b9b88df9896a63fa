/**
 * What a connection's remote said first, for diagnosing a handshake that never completed (no key set).
 *
 * A libp2p peer without a key opens with multistream-select's header. A peer WITH a key opens with its
 * 24-byte pnet nonce and ciphertext — random bytes to us. Usually that garbage fails our handshake in
 * milliseconds, but sometimes it parses as the start of a longer message and the connection just waits
 * until the dialler gives up and hangs up (diagnose.ts table). Knowing the first bytes tells that key
 * problem (warn) from a libp2p peer that went away mid-handshake or a socket that said nothing (routine).
 *
 * The same holds for our own dials: a keyed listener answers a keyless dialler with its nonce, not with
 * multistream-select, so the dialler has evidence of a private mesh (OutboundFirstBytes) instead of
 * guessing from a reset or a timeout (which overload causes just as well).
 *
 * Only the pass-through protector (coalescing.ts, installed when no key is configured) sees the raw
 * bytes; it reports the first ones here. Adding our own 'message' listener to the raw connection instead
 * would steal bytes from the upgrader, which attaches its listener later.
 */

/** varint(19) + "/multistream/1.0.0\n": the first bytes of every libp2p connection without a pre-shared key. */
export const MULTISTREAM_HEADER: Uint8Array = Uint8Array.from([0x13, ...new TextEncoder().encode('/multistream/1.0.0\n')])

/**
 * `libp2p`: opened with multistream-select. `http`: an HTTP server's answer ("HTTP/…": a murmur peer's
 * `--http` port given as a libp2p address). `text`: some other plain-text protocol (an HTTP request from a
 * client pointed at our libp2p port, an SSH or SMTP banner). `other`: anything else, such as the random
 * bytes of a pnet nonce (a printable run of TEXT_BYTES of them is as likely as 2^-34). `none`: sent nothing.
 */
export type FirstBytes = 'libp2p' | 'http' | 'text' | 'other' | 'none'

const HTTP_RESPONSE = new TextEncoder().encode('HTTP/')
/** Printable bytes it takes to call what a remote sent plain text. */
const TEXT_BYTES = 8

/**
 * Classifies what arrived so far: `undefined` while more bytes could still change the verdict (a prefix
 * of the header, or fewer than TEXT_BYTES printable bytes: a first chunk may be short), else the verdict.
 * An empty input is `none`.
 */
export function classifyFirstBytes (bytes: Uint8Array, final = false): FirstBytes | undefined {
  if (bytes.byteLength === 0) return 'none'
  if (bytes[0] === MULTISTREAM_HEADER[0]) {
    const n = Math.min(bytes.byteLength, MULTISTREAM_HEADER.byteLength)
    for (let i = 0; i < n; i++) if (bytes[i] !== MULTISTREAM_HEADER[i]) return 'other'
    if (n === MULTISTREAM_HEADER.byteLength) return 'libp2p'
    // A matching prefix cut short: decide only if no more bytes will come (more than one byte matched).
    return final ? (n > 1 ? 'libp2p' : 'other') : undefined
  }
  const n = Math.min(bytes.byteLength, TEXT_BYTES)
  for (let i = 0; i < n; i++) if (!printable(bytes[i] as number)) return 'other'
  if (startsWith(bytes, HTTP_RESPONSE)) return 'http'
  if (n === TEXT_BYTES) return 'text'
  if (!final) return undefined
  return startsWith(HTTP_RESPONSE, bytes) ? 'http' : 'other'
}

/** Printable ASCII, tab, CR or LF. */
function printable (b: number): boolean {
  return (b >= 0x20 && b < 0x7f) || b === 0x09 || b === 0x0a || b === 0x0d
}

function startsWith (bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.byteLength < prefix.byteLength) return false
  for (let i = 0; i < prefix.byteLength; i++) if (bytes[i] !== prefix[i]) return false
  return true
}

/** First bytes of inbound connections, keyed by the raw connection (weakly: nothing to clean up). */
export class FirstBytesLog {
  private readonly seen = new WeakMap<object, Uint8Array | FirstBytes>()

  /** Appends a chunk from `conn`; returns true once the verdict is known (the caller may stop reporting). */
  note (conn: object, chunk: Uint8Array): boolean {
    const prior = this.seen.get(conn)
    if (typeof prior === 'string') return true
    const bytes = prior === undefined ? chunk : concat(prior, chunk)
    const verdict = classifyFirstBytes(bytes)
    this.seen.set(conn, verdict ?? bytes.slice(0, MULTISTREAM_HEADER.byteLength))
    return verdict !== undefined
  }

  /** What `conn` sent first, or undefined if this log never saw it (e.g. a key is configured). */
  get (conn: object): FirstBytes | undefined {
    const v = this.seen.get(conn)
    if (v === undefined) return undefined
    return typeof v === 'string' ? v : classifyFirstBytes(v, true)
  }

  /** The protector saw `conn` (so silence from it means `none`, not "unknown"). */
  watch (conn: object): void {
    if (!this.seen.has(conn)) this.seen.set(conn, new Uint8Array(0))
  }
}

/** Remembers this many recent outbound connections (by remote address); older ones are forgotten. */
const MAX_RECENT_OUTBOUND = 1024

/**
 * First bytes the remotes of our recent outbound connections sent, keyed by remote address (the dialer
 * knows the addresses it tried, not the connection objects libp2p made for them).
 */
export class OutboundFirstBytes {
  private readonly recent = new Map<string, { since: number, log: FirstBytesLog, conn: object }>()

  constructor (private readonly now: () => number = () => performance.now()) {}

  /** An outbound connection to `addr` (multiaddr string without /p2p) reached the protector. */
  started (addr: string, conn: object): void {
    const log = new FirstBytesLog()
    log.watch(conn)
    this.recent.delete(addr)
    this.recent.set(addr, { since: this.now(), log, conn })
    if (this.recent.size > MAX_RECENT_OUTBOUND) {
      const oldest = this.recent.keys().next().value
      if (oldest !== undefined) this.recent.delete(oldest)
    }
  }

  /** A chunk arrived on `conn`; returns true once its verdict is known (stop reporting). */
  note (addr: string, conn: object, chunk: Uint8Array): boolean {
    const entry = this.recent.get(addr)
    if (entry?.conn !== conn) return true
    return entry.log.note(conn, chunk)
  }

  /**
   * What the remote said first on the latest connection to any of `addrs` made since `since`: what one of
   * them spoke if that was not libp2p (`http`, `text` or `other`), else `libp2p`, else `none`; undefined if
   * no connection to them reached the protector since then (TCP never connected).
   */
  since (addrs: readonly string[], since: number): FirstBytes | undefined {
    let verdict: FirstBytes | undefined
    for (const a of addrs) {
      const entry = this.recent.get(a)
      if (entry === undefined || entry.since < since) continue
      const v = entry.log.get(entry.conn)
      if (v === 'other' || v === 'http' || v === 'text') return v
      if (v === 'libp2p' || verdict === undefined) verdict = v
    }
    return verdict
  }
}

function concat (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a)
  out.set(b, a.byteLength)
  return out
}
