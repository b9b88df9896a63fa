/**
 * Names in the notes pad's list of people (Debian chromium via playwright-core). They come from Yjs
 * awareness, which any y-websocket client of any peer sets as it likes — the app API's name checks never see
 * them. The chat shows every name without bidirectional controls and isolated (browser-bidi.test.ts); the
 * notes pad showed them as sent: "eve", RLO, "gnp.exe" read "eveexe.png" there. A name whose conversion
 * to text throws (`{"toString": 1}`) emptied the list after it, and, with a cursor, broke the editor of
 * every page on the doc (y-codemirror.next renders the name as given): remote edits no longer shown, typing
 * reversed and never sent. Such a name is shown as nothing, and the editor goes on.
 */
import type { Browser, Page } from 'playwright-core'
import * as Y from 'yjs'
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

  test('a client whose name cannot be made text puts its cursor in the pad: the page still shows edits and sends its own', async () => {
    const odd = clients[1] as YClient
    await waitFor('the odd client synced', () => odd.provider.synced, 10_000)
    const text = odd.doc.getText('notes')
    text.insert(0, 'hello world')
    const at = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, 3))
    odd.provider.awareness.setLocalState({ user: { name: { toString: 1 }, color: 'red' }, cursor: { anchor: at, head: at } })
    // The caret's label sits inside "hello": read the words after it.
    await waitFor('the edit shown', async () => (await page.textContent('#notes-editor .cm-content') ?? '').includes('lo world'), 10_000)
    await page.click('#notes-editor .cm-content')
    await page.keyboard.press('End')
    await page.keyboard.type('!')
    await waitFor('the page\'s edit sent', () => text.toString() === 'hello world!', 10_000)
      .catch((err: Error) => { throw new Error(`${err.message}; the other client has ${JSON.stringify(text.toString())}`) })
  }, 30_000)
})
