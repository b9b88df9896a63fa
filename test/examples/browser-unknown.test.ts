/**
 * A click whose outcome stays unknown, in a real browser (Debian chromium, headless, driven by
 * playwright-core). The peer applies the first attempt but its answers are lost (the test drops them):
 * the page retries with the same key, then says "not confirmed". It used to stop there, telling the user
 * "Trying again is safe: it takes effect once" — but trying again is another click, a new key, a second
 * increment. Now the page keeps sending the write with its key until the peer answers, and the counter
 * moves once.
 */
import type { Browser, Page, Route } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { cleanup, http } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'
import { chromiumMissing, openAppPage, untilView } from '../helpers/browser.js'

/** The page's own retries (0.5 + 1.5 + 4 s) and then its settling rounds, with room for a slow machine. */
const UNKNOWN_MS = 20_000
const missing = chromiumMissing('browser-unknown')

interface View { counter: string, status: string }

function view (page: Page): Promise<View> {
  return page.evaluate(() => ({
    counter: document.getElementById('counter-value')?.textContent ?? '',
    status: document.getElementById('status')?.textContent ?? ''
  }))
}

describe.skipIf(missing !== undefined)(`chat-counter: a write with an unknown outcome, in chromium${missing === undefined ? '' : ` (${missing})`}`, () => {
  let peer: PeerProcess
  let browser: Browser | undefined
  let page: Page

  beforeAll(async () => {
    ({ peer, browser, page } = await openAppPage('unknown'))
    await untilView(view, page, 'the counter shown', v => v.counter === '0', 10_000)
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await cleanup()
  })

  test('answers lost: "not confirmed", then the page settles it with the same key; the counter moves once', async () => {
    const keys: string[] = []
    let dropAnswers = true
    await page.route('**/api/counter', async (route: Route) => {
      if (route.request().method() !== 'POST') return await route.continue()
      keys.push(route.request().headers()['idempotency-key'] ?? '')
      if (!dropAnswers) return await route.continue()
      await route.fetch() // the peer gets the write and answers; the page never sees the answer
      await route.abort('connectionreset')
    })
    await page.click('#inc')
    const unknown = await untilView(view, page, '"not confirmed" shown', v => /^Not confirmed yet/.test(v.status), UNKNOWN_MS)
    expect(unknown.status).toMatch(/keeps sending it with the same key/)
    expect(unknown.status).not.toMatch(/Trying again is safe/)
    expect((await http<{ value: number }>(peer.http, 'GET', '/api/counter')).body.value).toBe(1)

    dropAnswers = false
    const settled = await untilView(view, page, 'the write settled', v => v.status === '' && v.counter === '1', UNKNOWN_MS)
    expect(settled.counter).toBe('1')
    expect((await http<{ value: number }>(peer.http, 'GET', '/api/counter')).body.value).toBe(1) // once, not twice
    expect(keys.length).toBeGreaterThanOrEqual(5) // 4 attempts lost, then the one that settled it
    expect(new Set(keys).size).toBe(1) // every one with the click's key
    await page.unroute('**/api/counter')

    await page.click('#inc') // a new click is a new change
    await untilView(view, page, 'the counter at 2', v => v.counter === '2', 10_000)
  }, 60_000)
})
