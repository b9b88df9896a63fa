/**
 * Live updates for the page over Server-Sent Events (`GET /api/events`), coalesced.
 *
 * Two event types:
 *  - `state`: the whole small state (counter, members, partition view, version vector, digest). Sent on
 *    connect and then whenever it changed, at most every PUBLISH_INTERVAL_MS: a burst of remote updates
 *    (a heal after a partition) costs one event, not one per update.
 *  - `chat`: `{reset, messages}` — on connect (reset) the latest HELLO_MESSAGES, then only messages added
 *    since the last event, so a long history is never resent.
 * A client that reconnects simply gets a fresh snapshot: there is no per-client cursor to get wrong.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { SseHub } from '../../dist/index.js'
import type { MemberState, Peer, VersionVectorJSON } from '../../dist/index.js'
import { DOC } from './model.ts'
import type { ChatCounter, ChatMessage } from './model.ts'

/** ≤ 10 events a second per type, whatever the update rate. */
const PUBLISH_INTERVAL_MS = 100
/** Re-check the state this often: fault-injection blocks and similar changes raise no event. */
const REFRESH_MS = 1_000
/** Messages sent on connect; older ones are in `GET /api/chat`. */
const HELLO_MESSAGES = 200
/** More new messages than this between two events → send a reset with the latest instead. */
const MAX_PENDING_MESSAGES = 500
const MAX_CLIENTS = 32
/** Members listed in a state event (self first, then by state and name); `counts` covers all of them. */
const MAX_MEMBERS_SHOWN = 100
/** A client whose socket buffer grows past this is not reading: drop it rather than buffer without bound. */
const MAX_BUFFER_BYTES = 1024 * 1024
/** A comment line keeps idle streams open through proxies. */
const HEARTBEAT_MS = 15_000

export interface MemberRow {
  peerId: string
  name: string
  state: MemberState
  incarnation: number
  self: boolean
}

export interface AppState {
  self: { peerId: string, name: string }
  counter: number
  /** Chat messages in the document. */
  messages: number
  /** Up to MAX_MEMBERS_SHOWN members: a 1,000-peer mesh must not make every event 100 KB. */
  members: MemberRow[]
  /** Every known member (this peer included) by state. */
  counts: Record<MemberState, number>
  /**
   * Other members this peer believes exist but cannot reach: state `suspect` or `dead`. `left` members
   * said goodbye, so they are not a partition. From one peer's view a crashed peer and a partitioned one
   * look the same; the page says "partitioned from N peers" for both, as memberlist's views would.
   */
  unreachable: number
  /** Peers blocked by fault injection (`/admin/partition`), so a demo shows why. */
  blocked: number
  doc: { name: string, digest: string, version: VersionVectorJSON }
}

const STATE_ORDER: Record<MemberState, number> = { alive: 0, suspect: 1, dead: 2, left: 3 }

export function appState (peer: Peer, model: ChatCounter): AppState {
  const members = peer.members().map(m => ({ peerId: m.peerId, name: m.name, state: m.state, incarnation: m.incarnation, self: m.peerId === peer.id }))
  members.sort((a, b) => Number(b.self) - Number(a.self) || STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.name.localeCompare(b.name) || (a.peerId < b.peerId ? -1 : 1))
  const counts: Record<MemberState, number> = { alive: 0, suspect: 0, dead: 0, left: 0 }
  for (const m of members) counts[m.state]++
  return {
    self: { peerId: peer.id, name: peer.self().name },
    counter: model.counter(),
    messages: model.messageCount(),
    members: members.slice(0, MAX_MEMBERS_SHOWN),
    counts,
    unreachable: members.filter(m => !m.self && (m.state === 'suspect' || m.state === 'dead')).length,
    blocked: peer.blocked().length,
    doc: { name: DOC, digest: peer.digest(DOC) ?? '', version: peer.version(DOC) ?? {} }
  }
}

export interface LiveUpdates {
  /** Takes over the response as an event stream (503 when MAX_CLIENTS are connected). */
  attach(req: IncomingMessage, res: ServerResponse): void
  close(): void
}

export function createLiveUpdates (peer: Peer, model: ChatCounter): LiveUpdates {
  // The hub caps clients and per-client buffers and sends heartbeats; this module only decides what to say.
  const hub = new SseHub({ maxClients: MAX_CLIENTS, maxBufferBytes: MAX_BUFFER_BYTES, heartbeatMs: HEARTBEAT_MS })
  let pending: ChatMessage[] = []
  let overflow = false
  let lastState = ''
  let lastPublish = 0
  let timer: NodeJS.Timeout | undefined
  const recent = (): ChatMessage[] => model.messages().slice(-HELLO_MESSAGES)

  const publish = (): void => {
    timer = undefined
    lastPublish = Date.now()
    if (hub.size === 0) return
    const state = JSON.stringify(appState(peer, model))
    if (state !== lastState) {
      lastState = state
      hub.publish('state', state)
    }
    if (overflow) hub.publish('chat', { reset: true, messages: recent() })
    else if (pending.length > 0) hub.publish('chat', { reset: false, messages: pending })
    pending = []
    overflow = false
  }
  const schedule = (): void => {
    if (timer !== undefined || hub.size === 0) return
    timer = setTimeout(publish, Math.max(0, lastPublish + PUBLISH_INTERVAL_MS - Date.now()))
  }

  const unsubscribe = [
    peer.on('doc', (e) => { if (e.name === DOC) schedule() }),
    peer.on('member', schedule),
    model.onMessages((added) => {
      if (hub.size === 0 || overflow) return
      pending.push(...added)
      if (pending.length > MAX_PENDING_MESSAGES) {
        pending = []
        overflow = true
      }
      schedule()
    })
  ]
  const refresh = setInterval(() => { if (hub.size > 0) schedule() }, REFRESH_MS)
  refresh.unref()

  return {
    // The snapshot goes to this client only; others are already up to date.
    attach: (req, res) => {
      hub.attach(req, res, [{ event: 'state', data: appState(peer, model) }, { event: 'chat', data: { reset: true, messages: recent() } }])
    },
    close: () => {
      for (const u of unsubscribe) u()
      clearInterval(refresh)
      if (timer !== undefined) clearTimeout(timer)
      hub.close()
    }
  }
}
