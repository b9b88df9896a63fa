/**
 * A fleet of real y-websocket clients (WebsocketProvider over ws) typing into one shared Y.Text, with the
 * arrival of every keystroke at every other client timed on one clock (they all live in this process).
 *
 * A keystroke is one inserted character at a random position (and, like an editor, a cursor move in
 * awareness). Its identity is (writer's clientID, clock): the writer's Yjs state after the insert. It has
 * arrived at another client once that client's state for the writer reaches it — read from each
 * transaction's before/after state vectors, so only the writers that advanced are looked at.
 */
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { percentile, round } from './report.ts'
import type { Rng } from './rng.ts'

export interface Keystroke {
  readonly writer: number
  /** The writer's Yjs state once the keystroke is in: other clients have it when their state reaches this. */
  readonly clock: number
  readonly sentAt: number
  /** Arrival delay at each other client, ms (by client index; undefined until it arrived). */
  readonly arrivals: Array<number | undefined>
  arrived: number
}

export interface FleetFigures {
  clients: number
  keystrokes: number
  /** Keystroke → visible on ALL other clients, ms. */
  allP50: number
  allP99: number
  allMax: number
  /** Keystroke → visible on one other client (every (keystroke, client) pair), ms. */
  eachP50: number
  eachP99: number
  /**
   * Keystroke → visible on a client of the same server as the writer (one hop: through the server, which
   * for murmur includes making the edit durable), and on clients of other servers (plus the mesh hop), ms.
   */
  sameServerP50: number
  sameServerP99: number
  otherServerP50: number
  otherServerP99: number
  /** Keystrokes not seen by every other client within the settle timeout. */
  missing: number
  /** All clients ended with the same text, of the expected length. */
  converged: boolean
}

interface Client {
  readonly index: number
  readonly url: string
  readonly doc: Y.Doc
  readonly text: Y.Text
  readonly provider: WebsocketProvider
}

export class KeystrokeFleet {
  private readonly clients: Client[] = []
  private readonly byWriter = new Map<number, Keystroke[]>()
  /** cursor[receiver][writerClientId]: index of the writer's next keystroke the receiver has not seen. */
  private readonly cursors: Array<Map<number, number>> = []
  private readonly keystrokes: Keystroke[] = []
  private readonly cursorAwareness: boolean

  /** `urls[i]`: the HTTP base of the server client i talks to. */
  constructor (urls: readonly string[], doc: string, cursorAwareness: boolean, token?: string) {
    this.cursorAwareness = cursorAwareness
    // Each provider registers a process 'exit' listener (to clear its awareness state): one per client.
    process.setMaxListeners(Math.max(process.getMaxListeners(), urls.length + 10))
    urls.forEach((url, index) => {
      const ydoc = new Y.Doc()
      const provider = new WebsocketProvider(`${url.replace(/^http/, 'ws')}/yjs`, doc, ydoc, {
        WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
        disableBc: true,
        ...(token === undefined ? {} : { params: { access_token: token } })
      })
      provider.awareness.setLocalStateField('user', { name: `client ${index}` })
      const client: Client = { index, url, doc: ydoc, text: ydoc.getText('text'), provider }
      this.clients.push(client)
      this.cursors.push(new Map())
      ydoc.on('afterTransaction', (tr: Y.Transaction) => { this.onTransaction(client, tr) })
    })
  }

  get size (): number {
    return this.clients.length
  }

  async synced (timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs
    while (performance.now() < deadline) {
      if (this.clients.every(c => c.provider.synced)) return true
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    return false
  }

  /** Each client types `perClientPerSec` keystrokes a second for `seconds`, staggered round-robin. */
  async type (seconds: number, perClientPerSec: number, rng: Rng, onProgress?: (done: number) => void): Promise<void> {
    const total = Math.round(seconds * perClientPerSec * this.clients.length)
    const gapMs = 1000 / (perClientPerSec * this.clients.length)
    const start = performance.now()
    for (let k = 0; k < total; k++) {
      const due = start + k * gapMs
      const wait = due - performance.now()
      if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
      const writer = this.clients[k % this.clients.length] as Client
      const index = rng.int(writer.text.length + 1)
      const sentAt = performance.now()
      writer.text.insert(index, String.fromCharCode(97 + rng.int(26)))
      const ks: Keystroke = { writer: writer.index, clock: Y.getState(writer.doc.store, writer.doc.clientID), sentAt, arrivals: new Array(this.clients.length), arrived: 0 }
      this.keystrokes.push(ks)
      let list = this.byWriter.get(writer.doc.clientID)
      if (list === undefined) this.byWriter.set(writer.doc.clientID, list = [])
      list.push(ks)
      if (this.cursorAwareness) writer.provider.awareness.setLocalStateField('cursor', { index: index + 1 })
      if (onProgress !== undefined && k % 200 === 199) onProgress(k + 1)
    }
  }

  /** Waits until every keystroke reached every other client (or the timeout); returns the figures. */
  async settle (timeoutMs: number): Promise<FleetFigures> {
    const others = this.clients.length - 1
    const deadline = performance.now() + timeoutMs
    while (performance.now() < deadline && this.keystrokes.some(k => k.arrived < others)) await new Promise(resolve => setTimeout(resolve, 50))
    const complete = this.keystrokes.filter(k => k.arrived >= others)
    const all = complete.map(k => Math.max(...k.arrivals.filter((a): a is number => a !== undefined)))
    const each = this.keystrokes.flatMap(k => k.arrivals.filter((a): a is number => a !== undefined))
    const byServer = (same: boolean): number[] => this.keystrokes.flatMap(k => k.arrivals.filter((a, i): a is number =>
      a !== undefined && (this.clients[i]?.url === this.clients[k.writer]?.url) === same))
    const same = byServer(true)
    const other = byServer(false)
    const texts = new Set(this.clients.map(c => c.text.toString()))
    const length = this.clients[0]?.text.length ?? 0
    return {
      clients: this.clients.length,
      keystrokes: this.keystrokes.length,
      allP50: round(percentile(all, 50), 1),
      allP99: round(percentile(all, 99), 1),
      allMax: round(Math.max(...all), 1),
      eachP50: round(percentile(each, 50), 1),
      eachP99: round(percentile(each, 99), 1),
      sameServerP50: round(percentile(same, 50), 1),
      sameServerP99: round(percentile(same, 99), 1),
      otherServerP50: round(percentile(other, 50), 1),
      otherServerP99: round(percentile(other, 99), 1),
      missing: this.keystrokes.length - complete.length,
      converged: texts.size === 1 && length >= this.keystrokes.length
    }
  }

  destroy (): void {
    for (const c of this.clients) {
      c.provider.destroy()
      c.doc.destroy()
    }
  }

  private onTransaction (receiver: Client, tr: Y.Transaction): void {
    if (tr.local) return // its own keystrokes
    const now = performance.now()
    const cursors = this.cursors[receiver.index] as Map<number, number>
    for (const [writer, after] of tr.afterState) {
      if ((tr.beforeState.get(writer) ?? 0) >= after) continue
      const list = this.byWriter.get(writer)
      if (list === undefined) continue
      let i = cursors.get(writer) ?? 0
      while (i < list.length && (list[i] as Keystroke).clock <= after) {
        const ks = list[i] as Keystroke
        if (ks.arrivals[receiver.index] === undefined) {
          ks.arrivals[receiver.index] = now - ks.sentAt
          ks.arrived++
        }
        i++
      }
      cursors.set(writer, i)
    }
  }
}
