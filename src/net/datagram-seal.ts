/**
 * The datagram wire format (src/net/datagrams.ts): authenticated encryption of one datagram with a key the
 * receiver issued to the sender over their Noise-secured connection (datagram-keys.ts).
 *
 *   byte 0      DATAGRAM_VERSION
 *   bytes 1–8   key id: which key the receiver issued (random; names the sender too)
 *   bytes 9–16  counter: the sender's per-key sequence number (big-endian; the nonce, never reused)
 *   bytes 17–   ChaCha20-Poly1305 ciphertext of [kind, payload…], then its 16-byte tag
 *
 * The header is the associated data, so a changed key id or counter fails authentication. A key encrypts in
 * one direction only (the receiver issues its own key for each sender), so a counter that only grows never
 * repeats a nonce under one key.
 *
 * A reset (not encrypted) answers a datagram sealed with a key this process never issued — one of its
 * previous life, as keys live in memory only — so that the holder drops that key instead of sealing every
 * ping with it, unheard, until a probe fails over to a stream:
 *
 *   byte 0      RESET_MARK
 *   bytes 1–8   the key id the datagram named
 *   bytes 9–24  reset token: HMAC-SHA256(reset secret, key id), first 16 bytes
 *
 * The reset secret is derived from the peer's identity key, which a restart keeps, and the token of each key
 * goes to the holder with the key itself (over the Noise session): only the peer that issued a key, in any
 * life, can reset it. A reset's 25 bytes are fewer than the smallest datagram it answers (34).
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto'

export const DATAGRAM_VERSION = 1
export const KEY_BYTES = 32
export const KEY_ID_BYTES = 8
export const HEADER_BYTES = 1 + KEY_ID_BYTES + 8
export const TAG_BYTES = 16
/** What a datagram adds to its payload: header, kind byte, tag. */
export const DATAGRAM_OVERHEAD = HEADER_BYTES + 1 + TAG_BYTES

/**
 * What a datagram carries: a swim frame, the path check (hello, helloAck), or `keep`: the sender is closing
 * its connection to us for its budget, and the key we hold for it stays good (datagrams.ts).
 */
export const DatagramKind = { frame: 0, hello: 1, helloAck: 2, keep: 3 } as const
export type DatagramKind = typeof DatagramKind[keyof typeof DatagramKind]

export interface OpenedDatagram {
  readonly kind: DatagramKind
  readonly payload: Uint8Array
}

/** The header fields, read without decrypting: which key to try, and the counter for the replay check. */
export interface DatagramHeader {
  readonly keyId: string
  readonly counter: number
}

export const RESET_MARK = 0x52
export const RESET_TOKEN_BYTES = 16
export const RESET_BYTES = 1 + KEY_ID_BYTES + RESET_TOKEN_BYTES

/** The reset secret of an identity: SHA-256 of a label and its private key's bytes (never sent anywhere). */
export function resetSecretOf (privateKeyBytes: Uint8Array): Uint8Array {
  return createHash('sha256').update('murmur datagram key reset v1').update(privateKeyBytes).digest()
}

/** The token that resets key `keyId`: what the issuer hands over with the key, and sends in a reset. */
export function resetToken (secret: Uint8Array, keyId: Uint8Array): Uint8Array {
  return createHmac('sha256', secret).update(keyId).digest().subarray(0, RESET_TOKEN_BYTES)
}

export function encodeReset (keyId: Uint8Array, token: Uint8Array): Uint8Array {
  const out = new Uint8Array(RESET_BYTES)
  out[0] = RESET_MARK
  out.set(keyId, 1)
  out.set(token, 1 + KEY_ID_BYTES)
  return out
}

/** A reset's key id (hex) and token, or undefined if `packet` is not one. */
export function readReset (packet: Uint8Array): { keyId: string, token: Uint8Array } | undefined {
  if (packet.byteLength !== RESET_BYTES || packet[0] !== RESET_MARK) return undefined
  return { keyId: keyIdText(packet.subarray(1, 1 + KEY_ID_BYTES)), token: packet.subarray(1 + KEY_ID_BYTES) }
}

/** Whether two tokens are equal, in time that does not depend on where they differ. */
export function sameToken (a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b)
}

/** Reads the header, or undefined if `packet` cannot be a datagram of ours (size, version). */
export function readHeader (packet: Uint8Array): DatagramHeader | undefined {
  if (packet.byteLength < DATAGRAM_OVERHEAD || packet[0] !== DATAGRAM_VERSION) return undefined
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength)
  const counter = view.getUint32(1 + KEY_ID_BYTES) * 2 ** 32 + view.getUint32(1 + KEY_ID_BYTES + 4)
  return { keyId: keyIdText(packet.subarray(1, 1 + KEY_ID_BYTES)), counter }
}

export function keyIdText (keyId: Uint8Array): string {
  return Buffer.from(keyId.buffer, keyId.byteOffset, keyId.byteLength).toString('hex')
}

/** Encrypts [kind, payload] under `key` as datagram number `counter` (a safe integer ≥ 1). */
export function seal (key: Uint8Array, keyId: Uint8Array, counter: number, kind: DatagramKind, payload: Uint8Array): Uint8Array {
  const header = new Uint8Array(HEADER_BYTES)
  header[0] = DATAGRAM_VERSION
  header.set(keyId, 1)
  const view = new DataView(header.buffer)
  view.setUint32(1 + KEY_ID_BYTES, Math.floor(counter / 2 ** 32))
  view.setUint32(1 + KEY_ID_BYTES + 4, counter >>> 0)
  const cipher = createCipheriv('chacha20-poly1305', key, nonceOf(header), { authTagLength: TAG_BYTES })
  cipher.setAAD(header, { plaintextLength: payload.byteLength + 1 })
  const body = Buffer.concat([cipher.update(Uint8Array.of(kind)), cipher.update(payload), cipher.final(), cipher.getAuthTag()])
  const out = new Uint8Array(HEADER_BYTES + body.byteLength)
  out.set(header)
  out.set(body, HEADER_BYTES)
  return out
}

/** Decrypts and authenticates `packet` with `key`; undefined if it fails (forged, corrupted, wrong key) or names no kind we know. */
export function open (key: Uint8Array, packet: Uint8Array): OpenedDatagram | undefined {
  if (packet.byteLength < DATAGRAM_OVERHEAD) return undefined
  const header = packet.subarray(0, HEADER_BYTES)
  const sealed = packet.subarray(HEADER_BYTES, packet.byteLength - TAG_BYTES)
  const tag = packet.subarray(packet.byteLength - TAG_BYTES)
  let plain: Buffer
  try {
    const decipher = createDecipheriv('chacha20-poly1305', key, nonceOf(header), { authTagLength: TAG_BYTES })
    decipher.setAAD(header, { plaintextLength: sealed.byteLength })
    decipher.setAuthTag(tag)
    plain = Buffer.concat([decipher.update(sealed), decipher.final()])
  } catch {
    return undefined
  }
  const kind = plain[0]
  if (kind !== DatagramKind.frame && kind !== DatagramKind.hello && kind !== DatagramKind.helloAck && kind !== DatagramKind.keep) return undefined
  return { kind, payload: new Uint8Array(plain.buffer, plain.byteOffset + 1, plain.byteLength - 1) }
}

/** The 12-byte nonce: four zero bytes, then the counter as written in the header. */
function nonceOf (header: Uint8Array): Uint8Array {
  const nonce = new Uint8Array(12)
  nonce.set(header.subarray(1 + KEY_ID_BYTES, HEADER_BYTES), 4)
  return nonce
}

/**
 * Which counters of one key were seen: the highest, and a 64-wide window below it (RFC 6479's idea). A
 * datagram older than the window, or seen already, is a replay (or a duplicate the network made) and dropped.
 */
export class ReplayWindow {
  private highest = 0
  /** Bit i set: counter `highest − i` seen (bit 0 is `highest` itself). */
  private seen = 0n

  /** Whether `counter` is new; records it if so. Call only after the datagram authenticated. */
  accept (counter: number): boolean {
    if (counter <= 0 || !Number.isSafeInteger(counter)) return false
    if (counter > this.highest) {
      const shift = counter - this.highest
      this.seen = shift >= 64 ? 1n : ((this.seen << BigInt(shift)) | 1n) & WINDOW_MASK
      this.highest = counter
      return true
    }
    const age = this.highest - counter
    if (age >= 64) return false
    const bit = 1n << BigInt(age)
    if ((this.seen & bit) !== 0n) return false
    this.seen |= bit
    return true
  }
}

const WINDOW_MASK = (1n << 64n) - 1n
