/**
 * Names in the notes pad's list of people (Debian chromium via playwright-core). They come from Yjs
 * awareness, which any y-websocket client of any peer sets as it likes — the app API's name checks never see
 * them. The chat shows every name without bidirectional controls and isolated (browser-bidi.test.ts); the
 * notes pad showed them as sent: "eve", RLO, "gnp.exe" read "eveexe.png" there. A name that is no string
 * is shown as nothing rather than "[object Object]".
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { cleanup, waitFor } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'
import { chromiumMissing, openAppPage } from '../helpers/browser.js'
import { yClient } from '../yjs/clients.js'
import type { YClient } from '../yjs/clients.js'

const missing = chromiumMissing('browser-notes-names')
const RLO = '\u202e'

interface Person { text: string, bdi: string | null }

const people = (page: Page): Promise<Person[]> => page.evaluate(() => [...document.querySelectorAll('#notes-people li')]
  .map(li => ({ text: li.textContent ?? '', bdi: li.querySelector('bdi')?.textContent ?? null })))

describe.skipIf(missing !== undefined)(`chat-counter in chromium: names in the notes pad${missing === undefined ? '' : ` (${missing})`}`, () => {
  let peer: PeerProcess
  let browser: Browser | undefined
  let page: Page
  const clients: YClient[] = []

  beforeAll(async () => {
    ({ peer, browser, page } = await openAppPage('notes-names'))
    await page.fill('#chat-from', 'ann')
  }, 60_000)

  afterAll(async () => {
    for (const c of clients) c.destroy()
    await browser?.close()
    await cleanup()
  })

  test('another client\'s name shows without its bidirectional controls, isolated; a name that is no string shows as nothing', async () => {
    const eve = yClient(peer.http, 'chat-counter-notes', `eve${RLO}gnp.exe`)
    const odd = yClient(peer.http, 'chat-counter-notes', 'odd', { presence: false })
    clients.push(eve, odd)
    odd.provider.awareness.setLocalStateField('user', { name: { toString: 1 }, color: 'red' })
    const shown = await waitFor('three people listed', async () => {
      const p = await people(page)
      return p.length === 3 ? p : false
    }, 15_000).catch(async (err: Error) => { throw new Error(`${err.message}; listed: ${JSON.stringify(await people(page))}`) })
    expect(shown).toContainEqual({ text: 'ann (you)', bdi: 'ann' })
    expect(shown).toContainEqual({ text: 'evegnp.exe', bdi: 'evegnp.exe' })
    expect(shown).toContainEqual({ text: '', bdi: '' })
  }, 30_000)
})
