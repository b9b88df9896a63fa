/**
 * The app's replicated state, on the public murmur API only: one document holding
 *  - a PN-counter (`peer.counter`: one slot per replica, so concurrent increments on different peers all count), and
 *  - a Y.Array of chat messages (concurrent inserts from different peers are all kept; the order in the
 *    array is the CRDT's, the order shown is by `at`, then `id`).
 * Every write resolves only once it is durable on this peer (`peer.write` / `counter.add`), so an answered
 * POST is never lost, partitioned or not.
 */
import { randomBytes } from 'node:crypto'
import type * as Y from 'yjs'
import type { Peer } from '../../dist/index.js'

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
  /** Adds `delta`; resolves with the new value once the change is durable here. */
  add(delta: number): Promise<number>
  /** Every well-formed message, ordered by `at`, then `id`. */
  messages(): ChatMessage[]
  /** Entries in the array (cheap: no parsing; includes any malformed entry another peer wrote). */
  messageCount(): number
  /** Appends a message; resolves with it once durable here. */
  post(from: string, text: string): Promise<ChatMessage>
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

/**
 * Random rather than a per-peer sequence number: a sequence restarts at 0 when a peer loses its data dir
 * (or crashes before persisting its last number), and would then reuse ids.
 */
function newId (peerId: string): string {
  return `${peerId.slice(-8)}-${randomBytes(8).toString('hex')}`
}

export async function openChatCounter (peer: Peer, now: () => number = Date.now): Promise<ChatCounter> {
  const doc: Y.Doc = await peer.doc(DOC)
  const counter = await peer.counter(DOC)
  const array = doc.getArray<unknown>(MESSAGES)
  const listeners = new Set<(added: ChatMessage[]) => void>()

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
    add: (delta) => counter.add(delta),
    messages: () => {
      const out: ChatMessage[] = []
      for (const value of array.toArray()) {
        const m = toMessage(value)
        if (m !== undefined) out.push(m)
      }
      return out.sort(compareMessages)
    },
    messageCount: () => array.length,
    post: async (from, text) => {
      const message: ChatMessage = { id: newId(peer.id), from, text, at: now() }
      await peer.write(DOC, (d) => { d.getArray<unknown>(MESSAGES).push([message]) })
      return message
    },
    onMessages: (listener) => {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
}
