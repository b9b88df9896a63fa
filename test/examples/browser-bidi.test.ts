/**
 * Names holding bidirectional controls in the chat-counter page, in a real browser (Debian chromium via
 * playwright-core) against an app process. The app API refuses such a chat name; but the doc is shared —
 * another client or an older app may write anything into it — and member names come from each peer's
 * `--name`. So the page must show any name safely: without its controls ("eve", RLO, "gnp.exe" must not
 * show as "eveexe.png") and isolated, so that it cannot reorder the rest of its line (before, a peer named
 * "ops", RLO, "live" turned the page's header into "ops hsem elohw eht · 21fedcba… evil").
 *
 * Since 633d4b2 a peer refuses such a `--name` at start (exit 2; test/cli/args.test.ts), so this peer's own
 * name is plain here, and the page is held to isolating it (a `bdi`), as it must any name a member sends.
 */
import path from 'node:path'
import { chromium } from 'playwright-core'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ROOT, cleanup, http, spawnPeer, tempDir, waitFor } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing } from '../helpers/browser.js'
import { yClient } from '../yjs/clients.js'
import type { YClient } from '../yjs/clients.js'

const SERVER = path.join(ROOT, 'examples', 'chat-counter', 'server.ts')
const RLO = '\u202e'
const PEER_NAME = 'ops-live'
const CHAT_NAME = `eve${RLO}gnp.exe`

const missing = chromiumMissing('browser-bidi')

interface Box { tag: string, text: string, left: number, right: number }

/** Tag, text and horizontal extent of the first element matching each selector. */
function boxes (page: Page, selectors: Record<string, string>): Promise<Record<string, Box | null>> {
  return page.evaluate((sel) => Object.fromEntries(Object.entries(sel).map(([k, s]) => {
    const e = document.querySelector(s)
    if (e === null) return [k, null]
    const r = e.getBoundingClientRect()
    return [k, { tag: e.tagName.toLowerCase(), text: e.textContent ?? '', left: r.left, right: r.right }]
  })), selectors)
}

describe.skipIf(missing !== undefined)(`chat-counter in chromium: names with bidirectional controls${missing === undefined ? '' : ` (${missing})`}`, () => {
  let peer: PeerProcess
  let context: BrowserContext | undefined
  let page: Page
  let writer: YClient | undefined
  const pageErrors: string[] = []

  beforeAll(async () => {
    peer = await spawnPeer({ entry: SERVER, args: ['--profile', 'local', '--name', PEER_NAME] })
    context = await chromium.launchPersistentContext(tempDir('murmur-chromium-'), {
      executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: { width: 1200, height: 820 }, timeout: 30_000
    })
    context.setDefaultTimeout(10_000)
    page = await context.newPage()
    page.on('pageerror', (err) => { pageErrors.push(err.message) })
    await page.goto(`${peer.http}/`)
    await waitFor('the page live', async () => await page.evaluate(() => document.getElementById('connection')?.dataset.state) === 'live', 15_000)
  }, 90_000)

  afterAll(async () => {
    writer?.destroy()
    await context?.close()
    await cleanup()
  })

  test('the app API refuses a chat name with a bidirectional control: 400 invalid_body, nothing stored', async () => {
    const r = await http<{ code: string, error: string }>(peer.http, 'POST', '/api/chat', { from: CHAT_NAME, text: 'x' })
    expect(r.status).toBe(400)
    expect(r.body).toMatchObject({ code: 'invalid_body', error: expect.stringMatching(/bidirectional control characters/) })
    expect((await http<unknown[]>(peer.http, 'GET', '/api/chat')).body).toEqual([])
  })

  test('a name written into the doc by another client shows without its controls, and its line keeps its order', async () => {
    writer = yClient(peer.http, 'chat-counter', 'writer', { presence: false })
    const w = writer
    await waitFor('the writer synced', () => w.provider.synced, 10_000)
    w.doc.getArray('messages').push([{ id: 'zz-bidi', from: CHAT_NAME, text: 'look at this', at: Date.now() }])
    await waitFor('the message shown', async () => (await boxes(page, { text: '#chat-log li[data-id="zz-bidi"] .text' })).text?.text === 'look at this', 10_000)
    const line = await boxes(page, { from: '#chat-log li[data-id="zz-bidi"] .from', time: '#chat-log li[data-id="zz-bidi"] time' })
    expect(line.from?.text).toBe('evegnp.exe') // before: the RLO kept, shown as "eveexe.png"
    expect(line.time?.left).toBeGreaterThanOrEqual(line.from?.right ?? Infinity)
    expect(line.from?.tag).toBe('bdi')
  })

  test('this peer\'s own name, in the header, the member list and the title: isolated, the rest of the line after it', async () => {
    await waitFor('the peer\'s name shown', async () => (await boxes(page, { name: '#self-name' })).name?.text !== '…', 10_000)
    const header = await boxes(page, { name: '#self-name', id: '#self-id', link: '.whoami a' })
    // Before: the override ran on past the name, and the id and the link were shown before it, reversed.
    expect(header.id?.left).toBeGreaterThanOrEqual(header.name?.right ?? Infinity)
    expect(header.link?.left).toBeGreaterThanOrEqual(header.id?.right ?? Infinity)
    expect(header.name).toMatchObject({ tag: 'bdi', text: PEER_NAME })
    const member = await boxes(page, { name: `#members li[data-peer-id="${peer.id}"] .name bdi`, you: `#members li[data-peer-id="${peer.id}"] .you` })
    expect(member.name?.text).toBe(PEER_NAME)
    expect(member.you?.left).toBeGreaterThanOrEqual(member.name?.right ?? Infinity)
    expect(await page.title()).not.toMatch(/\p{Bidi_Control}/u)
    expect(pageErrors).toEqual([])
  })
})
