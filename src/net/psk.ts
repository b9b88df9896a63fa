/**
 * Pre-shared keys for a private mesh, in the libp2p/IPFS `swarm.key` format (the format `@libp2p/pnet`
 * and go-libp2p's pnet read):
 *
 *     /key/swarm/psk/1.0.0/
 *     /base16/
 *     <64 hex characters = 32 bytes>
 *
 * `@libp2p/pnet` would accept some malformed files and reject others with one generic message, so murmur
 * parses and validates the file itself and says exactly what is wrong.
 */
import { createHash, randomBytes } from 'node:crypto'
import { PskError } from './errors.js'

export const PSK_HEADER = '/key/swarm/psk/1.0.0/'
export const PSK_ENCODING = '/base16/'
/** XSalsa20 key length used by pnet. */
export const PSK_KEY_BYTES = 32
/** A swarm.key is ~95 bytes; anything much larger is not one (and is not worth reading into memory). */
export const MAX_PSK_FILE_BYTES = 4096

export interface ParsedPsk {
  /** The 32 key bytes. */
  readonly key: Uint8Array
  /** The canonical file bytes, as `preSharedKey({ psk })` expects them. */
  readonly fileBytes: Uint8Array
  /**
   * First 8 hex chars of SHA-256(key): safe to log, lets operators check two peers hold the same key
   * without revealing it.
   */
  readonly fingerprint: string
}

/**
 * Parses and validates the contents of a swarm.key file. Accepts LF or CRLF line ends, surrounding
 * whitespace on each line and a trailing newline; nothing else.
 * @throws PskError naming the first problem found.
 */
export function parsePsk (contents: string | Uint8Array): ParsedPsk {
  if (typeof contents !== 'string' && contents.byteLength > MAX_PSK_FILE_BYTES) {
    throw new PskError(`pre-shared key file is ${contents.byteLength} bytes; a swarm.key is under ${MAX_PSK_FILE_BYTES}`)
  }
  const text = typeof contents === 'string' ? contents : new TextDecoder('utf-8', { fatal: false }).decode(contents)
  if (text.length > MAX_PSK_FILE_BYTES) {
    throw new PskError(`pre-shared key file is ${text.length} characters; a swarm.key is under ${MAX_PSK_FILE_BYTES}`)
  }
  const lines = text.split(/\r?\n/).map(l => l.trim()).filter(l => l !== '')
  if (lines.length !== 3) {
    throw new PskError(`pre-shared key file must have 3 lines (${PSK_HEADER}, ${PSK_ENCODING}, 64 hex chars); found ${lines.length}`)
  }
  const [header, encoding, hex] = lines as [string, string, string]
  if (header !== PSK_HEADER) throw new PskError(`pre-shared key file: line 1 must be "${PSK_HEADER}"`)
  if (encoding !== PSK_ENCODING) {
    throw new PskError(`pre-shared key file: line 2 must be "${PSK_ENCODING}" (the only encoding supported)`)
  }
  if (!/^[0-9a-fA-F]+$/.test(hex)) throw new PskError('pre-shared key file: line 3 must be hexadecimal')
  if (hex.length !== PSK_KEY_BYTES * 2) {
    throw new PskError(`pre-shared key file: line 3 must be ${PSK_KEY_BYTES * 2} hex chars (${PSK_KEY_BYTES} bytes); found ${hex.length}`)
  }
  const key = Uint8Array.from(Buffer.from(hex, 'hex'))
  return {
    key,
    fileBytes: new TextEncoder().encode(`${PSK_HEADER}\n${PSK_ENCODING}\n${hex.toLowerCase()}`),
    fingerprint: createHash('sha256').update(key).digest('hex').slice(0, 8)
  }
}

/** A fresh swarm.key file's contents (what `ipfs-swarm-key-gen` prints). */
export function generatePsk (): string {
  return `${PSK_HEADER}\n${PSK_ENCODING}\n${randomBytes(PSK_KEY_BYTES).toString('hex')}\n`
}
