/**
 * The real y-websocket client (WebsocketProvider from the `y-websocket` package, over the `ws` package),
 * pointed at a peer's HTTP address, with bounded waits on its state.
 */
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { waitFor } from '../helpers/procs.js'

export interface YClient {
  readonly name: string
  readonly doc: Y.Doc
  readonly text: Y.Text
  readonly provider: WebsocketProvider
  /** Close events the provider saw (code, reason). */
  readonly closes: Array<{ code: number, reason: string }>
  destroy(): void
}

export interface YClientOptions {
  token?: string
  /** Sets awareness `user` to { name } (default true). */
  presence?: boolean
  /** Extra WebSocket options (headers, e.g. a foreign Origin). */
  headers?: Record<string, string>
  /** Reconnect backoff cap (y-websocket default 2,500 ms). */
  maxBackoffTime?: number
}

/** `http://127.0.0.1:8080` → a provider on ws://127.0.0.1:8080/yjs/<doc>. */
export function yClient (httpBase: string, docName: string, name: string, options: YClientOptions = {}): YClient {
  const doc = new Y.Doc()
  const closes: Array<{ code: number, reason: string }> = []
  const headers = options.headers
  // The ws package as y-websocket's WebSocket (a subclass, to pass headers such as Origin).
  class Socket extends WebSocket {
    constructor (url: string, protocols?: string | string[]) {
      super(url, protocols, headers === undefined ? {} : { headers })
    }
  }
  const provider = new WebsocketProvider(`${httpBase.replace(/^http/, 'ws')}/yjs`, docName, doc, {
    WebSocketPolyfill: Socket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    ...(options.token === undefined ? {} : { params: { access_token: options.token } }),
    ...(options.maxBackoffTime === undefined ? {} : { maxBackoffTime: options.maxBackoffTime })
  })
  provider.on('connection-close', (event) => { if (event !== null) closes.push({ code: event.code, reason: event.reason }) })
  if (options.presence !== false) provider.awareness.setLocalStateField('user', { name })
  return {
    name,
    doc,
    text: doc.getText('text'),
    provider,
    closes,
    destroy: () => {
      provider.destroy()
      doc.destroy()
    }
  }
}

export async function synced (c: YClient, timeoutMs = 10_000): Promise<void> {
  await waitFor(`${c.name} synced`, () => c.provider.synced, timeoutMs, 20)
}

/** Names in the client's awareness (every state with a user.name). */
export function namesSeenBy (c: YClient): string[] {
  return [...c.provider.awareness.getStates().values()]
    .map(s => (s as { user?: { name?: string } }).user?.name)
    .filter((n): n is string => typeof n === 'string')
    .sort()
}
