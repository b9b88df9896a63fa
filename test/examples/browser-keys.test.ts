/**
 * The page's keyboard shortcuts in a real browser (Debian chromium, headless, driven by playwright-core):
 * + and − change the shared counter from anywhere but a text field — and the notes pad is one. Text typed
 * into the notes (a CodeMirror contenteditable, not an <input>) goes into the notes only: a hyphen in a
 * note must not decrement everyone's counter.
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { cleanup, http } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'
import { chromiumMissing, openAppPage, untilView } from '../helpers/browser.js'

const SHOW_MS = 10_000
const missing = chromiumMissing('browser-keys')

interface View { counter: string, notes: string, notesSynced: boolean, status: string }

function view (page: Page): Promise<View> {
  return page.evaluate(() => ({
    counter: document.getElementById('counter-value')?.textContent ?? '',
    // The editor's own document (the DOM also holds other people's cursor labels).
    notes: (window as unknown as { murmurNotes?: { view: { state: { doc: { toString(): string } } } } }).murmurNotes?.view.state.doc.toString() ?? '',
    notesSynced: document.getElementById('notes-status')?.dataset.synced === 'true',
    status: document.getElementById('status')?.textContent ?? ''
  }))
}

describe.skipIf(missing !== undefined)(`chat-counter keys in chromium${missing === undefined ? '' : ` (${missing})`}`, () => {
  let peer: PeerProcess
  let browser: Browser | undefined
  let page: Page

  beforeAll(async () => {
    ({ peer, browser, page } = await openAppPage('keys'))
    await untilView(view, page, 'counter and notes ready', v => v.counter === '0' && v.notesSynced, SHOW_MS)
  }, 60_000)

  afterAll(async () => {
    await browser?.close()
    await cleanup()
  })

  test('-, −, + and = typed into the notes pad go into the notes, not to the counter; outside a text field they count', async () => {
    // Hyphens and minus signs only: keys that would count would all count the same way (down).
    const text = 'well-known co-op - a − b'
    await page.click('#notes-editor .cm-content')
    await page.keyboard.type(text, { delay: 5 })
    await untilView(view, page, 'the note typed', v => v.notes.includes(text), SHOW_MS)
    // Then one + outside any text field: the counter is 1 exactly when the note's keys did not count.
    await page.click('#counter-h')
    await page.keyboard.press('+')
    const seen = await untilView(view, page, 'the counter at 1', v => v.counter === '1', SHOW_MS)
    expect(seen.status).toBe('')
    expect((await http<{ value: number }>(peer.http, 'GET', '/api/counter')).body.value).toBe(1)

    // The other way round: + and = in a note do not count up; − outside a field counts down, to 0.
    const sums = ' 1+1=2 and c++'
    await page.click('#notes-editor .cm-content')
    await page.keyboard.press('Control+End')
    await page.keyboard.type(sums, { delay: 5 })
    await untilView(view, page, 'the sums typed', v => v.notes.endsWith(sums), SHOW_MS)
    await page.click('#counter-h')
    await page.keyboard.press('-')
    await untilView(view, page, 'the counter at 0', v => v.counter === '0', SHOW_MS)
    expect((await http<{ value: number }>(peer.http, 'GET', '/api/counter')).body.value).toBe(0)
  }, 40_000)
})
