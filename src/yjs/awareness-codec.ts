/**
 * The y-protocols awareness update format (awareness.js): varUint count, then per client varUint client
 * id, varUint clock, varString state JSON ("null" = removed). y-protocols only reads and writes it through
 * an `Awareness` instance (applying as it decodes); the bridge must validate every entry before anything
 * is applied (sizes, ids, JSON, which connection may speak for which client), so it reads the format with
 * lib0's decoder here. Tests check it against y-protocols' own encodeAwarenessUpdate/applyAwarenessUpdate.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { checkCount, checkInt } from '../core/codec.js'
import { DecodeError } from '../core/errors.js'
import { MAX_CLIENT_ID, PRESENCE_LIMITS, checkStateJson } from '../presence/index.js'
import type { AwarenessEntry } from '../presence/index.js'

/** A decoded awareness update: its entries, and how many were left out for their size. */
export interface AwarenessUpdate {
  entries: AwarenessEntry[]
  /**
   * States over PRESENCE_LIMITS.stateChars: a policy limit, not a malformed message, so they are dropped
   * (not shared) and the client stays connected. Closing it with 4400 stopped y-websocket for good —
   * its document edits with it — because its user's presence (an avatar, say) had grown past 16 Ki.
   * Likewise entries whose clock is past 2^53 - 1, which no peer carries: y-protocols counts on from
   * the clock of any state for its own client id it receives, so another client that got one with clock
   * 2^53 - 1 to it (while it was away, for instance) made its every later renewal 2^53.
   */
  tooLarge: number
}

/**
 * The largest clock read (and dropped: see AwarenessUpdate.tooLarge) rather than refused as malformed: where
 * y-protocols' clocks stop (a double counting on from 2^53 - 1 stays at 2^53). Past it lib0 reads no exact value.
 */
const MAX_READ_CLOCK = 2 ** 53

/** @throws DecodeError (and lib0's errors on truncated input, which callers wrap) */
export function decodeAwarenessUpdate (bytes: Uint8Array, maxEntries: number): AwarenessUpdate {
  const decoder = decoding.createDecoder(bytes)
  const count = decoding.readVarUint(decoder)
  checkCount(count, maxEntries, 'awareness entries')
  const entries: AwarenessEntry[] = []
  let tooLarge = 0
  const seen = new Set<number>()
  for (let i = 0; i < count; i++) {
    const clientId = checkInt(decoding.readVarUint(decoder), 0, MAX_CLIENT_ID, 'awareness client id')
    const clock = decoding.readVarUint(decoder)
    if (clock > MAX_READ_CLOCK) throw new DecodeError(`awareness clock: ${clock} is outside [0, ${MAX_READ_CLOCK}]`)
    const raw = decoding.readVarString(decoder)
    if (seen.has(clientId)) throw new DecodeError(`awareness: client ${clientId} listed twice`)
    seen.add(clientId)
    if (raw.length > PRESENCE_LIMITS.stateChars || clock > Number.MAX_SAFE_INTEGER) {
      tooLarge++
      continue
    }
    const text = checkStateJson(raw, 'awareness state')
    entries.push({ clientId, clock, state: text === 'null' ? null : text })
  }
  if (decoding.hasContent(decoder)) throw new DecodeError('awareness: trailing bytes')
  return { entries, tooLarge }
}

export function encodeAwarenessUpdate (entries: readonly AwarenessEntry[]): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, entries.length)
  for (const entry of entries) {
    encoding.writeVarUint(e, entry.clientId)
    encoding.writeVarUint(e, entry.clock)
    encoding.writeVarString(e, entry.state ?? 'null')
  }
  return encoding.toUint8Array(e)
}
