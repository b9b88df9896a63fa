/**
 * The chat-counter page at the app's limits (Debian chromium via playwright-core, against an app process):
 *  - A peer serves at most 32 live pages (event streams). The 33rd page said "reconnecting to this peer…"
 *    for ever, as if the peer were down, when the peer had answered 503 `event_streams_full`: it now says
 *    the peer refused it and why, keeps trying, and goes live once a stream is free.
 *  - The chat's count was the doc array's length, malformed entries (another client's) and merged copies
 *    of one message included: it now counts what the chat shows.
 */
import { request } from 'node:http'
import type { ClientRequest } from 'node:http'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { cleanup, http, waitFor } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'
import { chromiumMissing, openAppPage, untilView } from '../helpers/browser.js'
import { yClient } from '../yjs/clients.js'
import type { YClient } from '../yjs/clients.js'

const missing = chromiumMissing('browser-limits')
/** examples/chat-counter/live.ts MAX_CLIENTS. */
const MAX_STREAMS = 32

/** Opens `/api/events` and holds it: resolves once the answer's status is in. */
function holdStream (base: string): Promise<{ status: number, req: ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/api/events`, { agent: false }, (res) => {
      res.on('data', () => {})
      resolve({ status: res.statusCode ?? 0, req })
    })
    req.on('error', reject)
    req.end()
  })
}

interface Connection { state: string, text: string, status: string }

const connection = (page: Page): Promise<Connection> => page.evaluate(() => {
  const pill = document.getElementById('connection')
  return { state: pill?.dataset.state ?? '', text: pill?.textContent ?? '', status: document.getElementById('status')?.textContent ?? '' }
})

describe.skipIf(missing !== undefined)(`chat-counter at its limits, in chromium${missing === undefined ? '' : ` (${missing})`}`, () => {
  let peer: PeerProcess
  let browser: Browser | undefined
  let page: Page
  let writer: YClient | undefined
  const held: ClientRequest[] = []

  beforeAll(async () => {
    ({ peer, browser, page } = await openAppPage('limits'))
    await untilView(connection, page, 'the first page live', c => c.state === 'live', 15_000)
  }, 60_000)

  afterAll(async () => {
    for (const req of held) req.destroy()
    writer?.destroy()
    await browser?.close()
    await cleanup()
  })

  test('the page past the peer\'s limit of event streams says the peer refused it and why, then goes live once one is free', async () => {
    // The first page holds one stream; these fill the rest.
    for (let i = 1; i < MAX_STREAMS; i++) {
      const s = await holdStream(peer.http)
      expect(s.status).toBe(200)
      held.push(s.req)
    }
    const refused = await holdStream(peer.http)
    held.push(refused.req)
    expect(refused.status).toBe(503)

    const second = await (browser as Browser).newPage()
    second.setDefaultTimeout(10_000)
    await second.goto(`${peer.http}/`)
    const full = await untilView(connection, second, 'the refusal shown', c => c.state === 'refused', 15_000)
    expect(full.text).toBe('live updates refused: retrying…')
    expect(full.status).toMatch(new RegExp(`^This peer refused live updates: too many event streams \\(this peer serves at most ${MAX_STREAMS} at once\\)\\. `))
    expect(full.status).toMatch(/close another page on this peer, or open the page of another peer/)
    // Still refused after its retries: never "reconnecting" as if the peer were down.
    await new Promise(resolve => setTimeout(resolve, 6_000))
    expect(await connection(second)).toEqual(full)

    held.shift()?.destroy()
    const live = await untilView(connection, second, 'the page live once a stream is free', c => c.state === 'live', 15_000)
    expect(live.status).toBe('')
    await second.close()
    for (const req of held.splice(0)) req.destroy()
  }, 60_000)

  test('the chat\'s count is of the messages shown: malformed entries and merged copies of one message are not counted', async () => {
    for (const text of ['one', 'two']) expect((await http(peer.http, 'POST', '/api/chat', { from: 'ann', text })).status).toBe(200)
    writer = yClient(peer.http, 'chat-counter', 'writer', { presence: false })
    const w = writer
    await waitFor('the writer synced', () => w.provider.synced, 10_000)
    const keyed = { id: 'k-copy', from: 'bob', text: 'three', at: Date.now() }
    // Another client's entries: not messages, and a second copy of one (a retry that reached two peers).
    w.doc.getArray('messages').push([42, 'text', { id: 'no-from', text: 'x', at: 1 }, null, keyed, { ...keyed }])
    const view = (): Promise<{ count: string, shown: number }> => page.evaluate(() => ({
      count: document.getElementById('chat-count')?.textContent ?? '',
      shown: document.querySelectorAll('#chat-log li').length
    }))
    const seen = await untilView(view, page, 'the third message shown', v => v.shown === 3, 10_000)
    await new Promise(resolve => setTimeout(resolve, 500)) // the next state event, after the change
    expect(await view()).toEqual({ ...seen, count: '3' })
    expect((await http<{ messages: number }>(peer.http, 'GET', '/api/state')).body.messages).toBe(3)
  }, 30_000)
})
