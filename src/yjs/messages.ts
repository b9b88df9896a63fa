/**
 * The y-websocket wire protocol (the `y-websocket` package's provider and its reference server): every
 * WebSocket message is a varUint message type followed by its body —
 *   0 sync:            y-protocols sync (step 1: a state vector; step 2 and update: a Yjs update)
 *   1 awareness:       a y-protocols awareness update (varUint8Array)
 *   2 auth:            y-protocols auth (server → client: permission denied + reason)
 *   3 query-awareness: "send me every awareness state" (no body)
 * Encoding goes through lib0 and y-protocols (sync.js, auth.js); decoding is split from handling so that
 * a message is validated whole before anything is applied.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as authProtocol from 'y-protocols/auth'
import * as syncProtocol from 'y-protocols/sync'
import type * as Y from 'yjs'
import { DecodeError } from '../core/errors.js'
import type { AwarenessEntry } from '../presence/index.js'
import { decodeAwarenessUpdate, encodeAwarenessUpdate } from './awareness-codec.js'

export const MessageType = { sync: 0, awareness: 1, auth: 2, queryAwareness: 3 } as const

/** What a client may send, decoded and validated. */
export type ClientMessage =
  | { readonly type: 'syncStep1', readonly stateVector: Uint8Array }
  | { readonly type: 'syncStep2', readonly update: Uint8Array }
  | { readonly type: 'update', readonly update: Uint8Array }
  | { readonly type: 'awareness', readonly entries: readonly AwarenessEntry[], readonly tooLarge: number }
  | { readonly type: 'queryAwareness' }

export type ClientMessageType = ClientMessage['type']
export const CLIENT_MESSAGE_TYPES: readonly ClientMessageType[] = ['syncStep1', 'syncStep2', 'update', 'awareness', 'queryAwareness']

/**
 * Decodes one client message. Trailing bytes are refused: a message is exactly one y-websocket message.
 * @throws DecodeError
 */
export function decodeClientMessage (bytes: Uint8Array, maxAwarenessEntries: number): ClientMessage {
  try {
    const decoder = decoding.createDecoder(bytes)
    const type = decoding.readVarUint(decoder)
    let msg: ClientMessage
    switch (type) {
      case MessageType.sync: {
        const step = decoding.readVarUint(decoder)
        const payload = decoding.readVarUint8Array(decoder)
        if (step === syncProtocol.messageYjsSyncStep1) msg = { type: 'syncStep1', stateVector: payload }
        else if (step === syncProtocol.messageYjsSyncStep2) msg = { type: 'syncStep2', update: payload }
        else if (step === syncProtocol.messageYjsUpdate) msg = { type: 'update', update: payload }
        else throw new DecodeError(`unknown sync message type ${step}`)
        break
      }
      case MessageType.awareness:
        msg = { type: 'awareness', ...decodeAwarenessUpdate(decoding.readVarUint8Array(decoder), maxAwarenessEntries) }
        break
      case MessageType.queryAwareness:
        msg = { type: 'queryAwareness' }
        break
      default:
        throw new DecodeError(`unknown message type ${type}`)
    }
    if (decoding.hasContent(decoder)) throw new DecodeError(`${bytes.byteLength - decoder.pos} trailing bytes after a ${msg.type} message`)
    return msg
  } catch (err) {
    if (err instanceof DecodeError) throw err
    throw new DecodeError(`malformed y-websocket message: ${err instanceof Error ? err.message : String(err)}`)
  }
}

/** Sync step 1: our state vector (the client answers with what we lack). */
export function syncStep1 (doc: Y.Doc): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MessageType.sync)
  syncProtocol.writeSyncStep1(e, doc)
  return encoding.toUint8Array(e)
}

/**
 * Sync step 2: what a client at `stateVector` lacks.
 * @throws DecodeError if the state vector is malformed
 */
export function syncStep2 (doc: Y.Doc, stateVector: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MessageType.sync)
  try {
    syncProtocol.writeSyncStep2(e, doc, stateVector)
  } catch (err) {
    throw new DecodeError(`malformed state vector: ${err instanceof Error ? err.message : String(err)}`)
  }
  return encoding.toUint8Array(e)
}

/** A Yjs update, as the sync protocol's `update` message. */
export function updateMessage (update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MessageType.sync)
  syncProtocol.writeUpdate(e, update)
  return encoding.toUint8Array(e)
}

export function awarenessMessage (entries: readonly AwarenessEntry[]): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MessageType.awareness)
  encoding.writeVarUint8Array(e, encodeAwarenessUpdate(entries))
  return encoding.toUint8Array(e)
}

/** y-protocols auth "permission denied": y-websocket clients log the reason. */
export function permissionDenied (reason: string): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MessageType.auth)
  authProtocol.writePermissionDenied(e, reason)
  return encoding.toUint8Array(e)
}
