/**
 * The app's replicated state, on the public murmur API only: one document holding
 *  - a PN-counter (`peer.counter`: one slot per replica, so concurrent increments on different peers all count), and
 *  - a Y.Array of chat messages (concurrent inserts from different peers are all kept; the order in the
 *    array is the CRDT's, the order shown is by `at`, then `id`).
 * Every write resolves only once it is durable on this peer (`peer.write` / `counter.add`), so an answered
 * POST is never lost, partitioned or not.
 *
 * Retries: a write may carry an idempotency key (`opId`, from the HTTP `Idempotency-Key`), and then it
 * takes effect once however often, and on however many peers, it is retried. The counter gets that from
 * murmur (a keyed increment counts once per key). A chat message is stored under an id derived from its
 * key, and messages are shown once per id: if a retry reached a peer on the other side of a partition
 * before the first attempt did, both peers stored it, and the copies merge into one on every replica.
 */
import { createHash, randomBytes } from 'node:crypto'
import type * as Y from 'yjs'
import type { Peer, WriteOptions } from '../../dist/index.js'

/** The document everything lives in (its name is part of the app's contract with other peers). */
export const DOC = 'chat-counter'
/** The Y.Array holding chat messages inside DOC (the counter uses the PN-counter's default map). */
export const MESSAGES = 'messages'

export interface ChatMessage {
  /** Unique across the mesh: a suffix of the author peer's id plus 64 random bits (see newId). */
  id: string
  /** The name the author typed. */
  from: string
  text: string
  /** When the author's peer accepted it, in ms since the epoch (that peer's clock). */
  at: number
}

export interface ChatCounter {
  /** The counter's value as this peer sees it now. */
  counter(): number
  /** Adds `delta`; resolves with the new value once the change is durable here. With `opId`: once per key. */
  add(delta: number, options?: WriteOptions): Promise<number>
  /** Every well-formed message, once per id, ordered by `at`, then `id`. */
  messages(): ChatMessage[]
  /**
   * How many messages the chat shows: well-formed ones, once per id (what messages() lists). The array's
   * length also counted malformed entries another client wrote and the copies of a retried message.
   */
  messageCount(): number
  /**
   * Appends a message; resolves with it once durable here. With `opId`, a retry of a message already
   * posted resolves with the message as it was stored (`replayed`), without posting it again.
   */
  post(from: string, text: string, options?: WriteOptions): Promise<{ message: ChatMessage, replayed: boolean }>
  /** Called with the messages each change added (local or remote), in no particular order. */
  onMessages(listener: (added: ChatMessage[]) => void): () => void
}

/** Orders by time, then id: every peer shows the same order for the same set of messages. */
export function compareMessages (a: ChatMessage, b: ChatMessage): number {
  if (a.at !== b.at) return a.at - b.at
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/**
 * Reads a message from the array. The doc is shared with every peer, so anything may be in it (another
 * version of the app, a buggy client): malformed entries are skipped rather than trusted.
 */
export function toMessage (value: unknown): ChatMessage | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const { id, from, text, at } = value as Record<string, unknown>
  if (typeof id !== 'string' || typeof from !== 'string' || typeof text !== 'string') return undefined
  if (typeof at !== 'number' || !Number.isSafeInteger(at)) return undefined
  return { id, from, text, at }
}

/** The well-formed messages among `values`, once per id: copies of one keyed message (see the file comment) as the first in the array's order, the same everywhere. */
function distinctMessages (values: readonly unknown[]): ChatMessage[] {
  const out: ChatMessage[] = []
  const ids = new Set<string>()
  for (const value of values) {
    const m = toMessage(value)
    if (m === undefined || ids.has(m.id)) continue
    ids.add(m.id)
    out.push(m)
  }
  return out
}

/**
 * Random rather than a per-peer sequence number: a sequence restarts at 0 when a peer loses its data dir
 * (or crashes before persisting its last number), and would then reuse ids.
 */
function newId (peerId: string): string {
  return `${peerId.slice(-8)}-${randomBytes(8).toString('hex')}`
}

/** The id of a message posted with idempotency key `opId`: the same on every peer a retry reaches. */
export function keyedId (opId: string): string {
  return `k-${createHash('sha256').update(`chat\u0000${opId}`).digest('hex').slice(0, 24)}`
}

export async function openChatCounter (peer: Peer, now: () => number = Date.now): Promise<ChatCounter> {
  const doc: Y.Doc = await peer.doc(DOC)
  const counter = await peer.counter(DOC)
  const array = doc.getArray<unknown>(MESSAGES)
  const listeners = new Set<(added: ChatMessage[]) => void>()
  /** messageCount()'s answer until the array changes: every state event asks for it (up to 10 a second). */
  let count: number | undefined
  array.observe(() => { count = undefined })

  // Array deltas name exactly what each transaction inserted, so live updates never rescan the history.
  array.observe((event) => {
    if (listeners.size === 0) return
    const added: ChatMessage[] = []
    for (const change of event.changes.delta) {
      if (!Array.isArray(change.insert)) continue
      for (const value of change.insert as unknown[]) {
        const m = toMessage(value)
        if (m !== undefined) added.push(m)
      }
    }
    if (added.length > 0) for (const l of listeners) l(added)
  })

  return {
    counter: () => counter.value(),
    add: (delta, options) => counter.add(delta, options),
    messages: () => distinctMessages(array.toArray()).sort(compareMessages),
    messageCount: () => (count ??= distinctMessages(array.toArray()).length),
    post: async (from, text, options = {}) => {
      const message: ChatMessage = { id: options.opId === undefined ? newId(peer.id) : keyedId(options.opId), from, text, at: now() }
      let ran = false
      await peer.write(DOC, (d) => { ran = true; d.getArray<unknown>(MESSAGES).push([message]) }, options)
      if (ran) return { message, replayed: false }
      // A replay: answer with the message as it was first stored (its time is the first attempt's).
      const stored = array.toArray().map(toMessage).find(m => m?.id === message.id)
      return { message: stored ?? message, replayed: true }
    },
    onMessages: (listener) => {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
}
