/**
 * Long names without a space in the chat-counter page (Debian chromium via playwright-core), on a desktop
 * and a phone width. A chat name may be 40 characters (the app API's limit) and a peer's `--name` longer;
 * before, neither could wrap: a 40-letter chat name pushed its message's time and "via this peer" out of
 * the chat card (hidden, behind a sideways scroll of the chat), and on a phone the peer's name in the
 * header, and the chat name in the notes pad's list of people, made the whole page scroll sideways.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { cleanup, http, waitFor } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'
import { chromiumMissing, openAppPage } from '../helpers/browser.js'

const missing = chromiumMissing('browser-long-names')
const PEER_NAME = 'N'.repeat(60)
const CHAT_NAME = 'W'.repeat(40)

/** Elements of the page that end right of the viewport or of the chat card. */
function overflowing (page: Page): Promise<{ page: string[], chat: string[], pageWidth: number }> {
  return page.evaluate(() => {
    const label = (e: Element): string => `${e.tagName.toLowerCase()}${e.id === '' ? '' : `#${e.id}`}${e.className === '' ? '' : `.${String(e.className)}`}`
    const card = document.querySelector('.card.chat')?.getBoundingClientRect()
    const outside = (sel: string, right: number): string[] => [...document.querySelectorAll(sel)]
      .filter(e => e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().right > right + 1).map(label)
    return {
      page: outside('body *', innerWidth),
      chat: card === undefined ? ['no chat card'] : outside('#chat-log *', card.right),
      pageWidth: document.documentElement.scrollWidth - innerWidth
    }
  })
}

describe.skipIf(missing !== undefined)(`chat-counter in chromium: long names wrap${missing === undefined ? '' : ` (${missing})`}`, () => {
  let peer: PeerProcess
  let browser: Browser | undefined
  let page: Page

  beforeAll(async () => {
    ({ peer, browser, page } = await openAppPage(PEER_NAME))
    expect((await http(peer.http, 'POST', '/api/chat', { from: CHAT_NAME, text: 'hi' })).status).toBe(200)
    await waitFor('the message shown', async () => await page.evaluate(() => document.querySelectorAll('#chat-log li').length) === 1, 15_000)
    // The name typed in the chat form is this page's name in the notes pad's list of people too.
    await page.fill('#chat-from', CHAT_NAME)
    await waitFor('the name in the notes pad', async () => (await page.textContent('#notes-people') ?? '').includes(CHAT_NAME), 10_000)
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await cleanup()
  })

  for (const width of [1200, 360]) {
    test(`${width} px wide: nothing leaves the chat card or the page`, async () => {
      await page.setViewportSize({ width, height: 800 })
      expect(await overflowing(page)).toEqual({ page: [], chat: [], pageWidth: 0 })
    })
  }
})
