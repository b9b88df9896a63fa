/**
 * Chat messages whose `at` no Date can hold, in the chat-counter page (Debian chromium via playwright-core)
 * against an app process. The doc is shared: another client may write any message into it, and the server
 * passes on every `at` that is a safe integer — but a Date holds only ±8.64e15 ms, and safe integers reach
 * ±9.007e15. Before, such a message threw a RangeError in the page's chat renderer ("Invalid time value"),
 * and every message after it in the same batch — the whole history, for one dated before the others — was
 * never shown, on every page, at every load.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { cleanup, http, waitFor } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'
import { chromiumMissing, openAppPage } from '../helpers/browser.js'
import { yClient } from '../yjs/clients.js'
import type { YClient } from '../yjs/clients.js'

const missing = chromiumMissing('browser-dates')

/** The texts the page shows, in order. */
const shown = (page: Page): Promise<string[]> =>
  page.evaluate(() => [...document.querySelectorAll('#chat-log li .text')].map(e => e.textContent ?? ''))

describe.skipIf(missing !== undefined)(`chat-counter in chromium: a message dated out of a Date's range${missing === undefined ? '' : ` (${missing})`}`, () => {
  let peer: PeerProcess
  let browser: Browser | undefined
  let page: Page
  let writer: YClient | undefined
  const pageErrors: string[] = []

  beforeAll(async () => {
    ({ peer, browser, page } = await openAppPage('dates'))
    page.on('pageerror', (err) => { pageErrors.push(err.message) })
    await waitFor('the page live', async () => await page.evaluate(() => document.getElementById('connection')?.dataset.state) === 'live', 15_000)
  }, 60_000)

  afterAll(async () => {
    writer?.destroy()
    await browser?.close()
    await cleanup()
  })

  test('the page shows every message, the out-of-range one with no time, live and after a reload', async () => {
    expect((await http(peer.http, 'POST', '/api/chat', { from: 'ann', text: 'hello' })).status).toBe(200)
    writer = yClient(peer.http, 'chat-counter', 'writer', { presence: false })
    const w = writer
    await waitFor('the writer synced', () => w.provider.synced, 10_000)
    // The smallest safe integer: ordered first, so before the fix nothing after it was shown.
    w.doc.getArray('messages').push([
      { id: 'zz-early', from: 'mallory', text: 'from before time', at: Number.MIN_SAFE_INTEGER },
      { id: 'zz-late', from: 'mallory', text: 'from after time', at: Number.MAX_SAFE_INTEGER }
    ])
    await waitFor('the live messages shown', async () => (await shown(page)).includes('from after time'), 10_000)
    await page.reload()
    const texts = await waitFor('every message shown after a reload', async () => {
      const t = await shown(page)
      return t.length === 3 ? t : false
    }, 10_000).catch(async (err: Error) => { throw new Error(`${err.message}; shown: ${JSON.stringify(await shown(page))}; page errors: ${JSON.stringify(pageErrors)}`) })
    expect(texts).toEqual(['from before time', 'hello', 'from after time'])
    const times = await page.evaluate(() => [...document.querySelectorAll('#chat-log li time')].map(e => e.textContent ?? ''))
    expect(times[0]).toBe('')
    expect(times[1]).toMatch(/\d/)
    expect(pageErrors).toEqual([])
  }, 40_000)
})
