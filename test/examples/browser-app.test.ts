/**
 * The chat-counter page in a real browser (Debian chromium, headless, driven by playwright-core): two
 * pages on two peer processes. Writes on either show on both; through a partition (`/admin/partition`,
 * both directions) both pages keep accepting writes and show the partition; after the heal both converge
 * to the same counter, chat and digest. Screenshots go to test-artifacts/ (git-ignored).
 * Every wait polls the page's own state with a bound; no sleeps.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { chromium } from 'playwright-core'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ROOT, cleanup, http, spawnPeer, tempDir, waitForStates } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromiumMissing, untilBoth, untilView } from '../helpers/browser.js'

const SERVER = path.join(ROOT, 'examples', 'chat-counter', 'server.ts')
/** Local profile: a blocked peer is suspect within a probe or two; a healed one alive again within seconds. */
const SHOW_MS = 10_000
const PARTITION_MS = 15_000
/** Local profile, N = 2: suspicion runs its full course (no other member confirms), ≤ 18 s. */
const DEAD_MS = 30_000
const HEAL_MS = 45_000

const missing = chromiumMissing('browser-app')

/** What the page shows, read from its DOM. */
interface View {
  connection: string
  counter: string
  partition: string
  partitionTitle: string
  digest: string
  chat: string[]
  members: Record<string, string>
}

function view (page: Page): Promise<View> {
  return page.evaluate(() => {
    const text = (id: string): string => document.getElementById(id)?.textContent ?? ''
    const members: Record<string, string> = {}
    for (const li of document.querySelectorAll<HTMLElement>('#members li')) members[li.dataset.peerId ?? ''] = li.dataset.state ?? ''
    return {
      connection: document.getElementById('connection')?.dataset.state ?? '',
      counter: text('counter-value'),
      partition: document.getElementById('partition')?.dataset.state ?? '',
      partitionTitle: text('partition-title'),
      digest: document.getElementById('digest')?.title ?? '',
      chat: [...document.querySelectorAll('#chat-log li .text')].map(e => e.textContent ?? ''),
      members
    }
  })
}

/** Polls the page until `ok(view)`; on timeout the error shows the last view. */
async function until (page: Page, what: string, ok: (v: View) => boolean, timeoutMs = SHOW_MS): Promise<View> {
  return await untilView(view, page, what, ok, timeoutMs)
}

async function send (page: Page, text: string): Promise<void> {
  await page.fill('#chat-text', text)
  await page.press('#chat-text', 'Enter')
  await until(page, `"${text}" shown`, v => v.chat.includes(text))
}

async function click (page: Page, selector: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await page.click(selector)
}

describe.skipIf(missing !== undefined)(`chat-counter in chromium: two pages, two peers, a partition and a heal${missing === undefined ? '' : ` (${missing})`}`, () => {
  const peers: PeerProcess[] = []
  const pages: Page[] = []
  const pageErrors: string[] = []
  let context: BrowserContext | undefined

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    const a = await spawnPeer({ entry: SERVER, args: ['--profile', 'local', '--name', 'alpha'] })
    const b = await spawnPeer({ entry: SERVER, args: ['--profile', 'local', '--name', 'bravo'], bootstrap: [a.addrs[0] as string] })
    peers.push(a, b)
    await waitForStates(peers, [a.id, b.id], 'alive', 15_000)
    context = await chromium.launchPersistentContext(tempDir('murmur-chromium-'), {
      executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: { width: 1200, height: 820 }, timeout: 30_000
    })
    context.setDefaultTimeout(10_000)
    for (const [i, p] of peers.entries()) {
      const page = await context.newPage()
      page.on('pageerror', (err) => { pageErrors.push(`page ${i}: ${err.message}`) })
      page.on('console', (msg) => { if (msg.type() === 'error') pageErrors.push(`page ${i} console: ${msg.text()}`) })
      await page.goto(`${p.http}/`)
      pages.push(page)
    }
  }, 90_000)

  afterAll(async () => {
    await context?.close()
    await cleanup()
  })

  test('both pages go live and show both peers alive', async () => {
    for (const page of pages) {
      await until(page, 'live, with both members alive', v =>
        v.connection === 'live' && v.partition === 'ok' && peers.every(p => v.members[p.id] === 'alive'))
    }
    await pages[0]!.fill('#chat-from', 'Ada')
    await pages[1]!.fill('#chat-from', 'Grace')
  })

  test('increments and chat on either page show on both', async () => {
    const [a, b] = pages as [Page, Page]
    await click(a, '#inc', 3)
    await click(b, '#inc', 2)
    await b.focus('#dec')
    await b.keyboard.press('Enter') // the buttons work from the keyboard too
    for (const page of pages) await until(page, 'counter 4', v => v.counter === '4')
    await send(a, 'hello from alpha')
    await send(b, 'hi from bravo')
    for (const page of pages) await until(page, 'both messages', v => v.chat.includes('hello from alpha') && v.chat.includes('hi from bravo'))
  })

  test('partitioned: both pages keep accepting writes and show the partition', async () => {
    const [a, b] = pages as [Page, Page]
    const [pa, pb] = peers as [PeerProcess, PeerProcess]
    expect((await http(pa.http, 'POST', '/admin/partition', { block: [pb.id] })).status).toBe(200)
    expect((await http(pb.http, 'POST', '/admin/partition', { block: [pa.id] })).status).toBe(200)
    const t0 = Date.now()
    await until(a, 'A shows the partition', v => v.partition === 'partitioned' && v.partitionTitle === 'Partitioned from 1 peer', PARTITION_MS)
    await until(b, 'B shows the partition', v => v.partition === 'partitioned', PARTITION_MS)
    console.log(`pages show the partition ${Date.now() - t0} ms after /admin/partition`)

    await click(a, '#inc', 2)
    await click(b, '#dec', 1)
    await until(a, 'A counts its own clicks', v => v.counter === '6')
    await until(b, 'B counts its own click', v => v.counter === '3')
    await send(a, 'alpha, alone')
    await send(b, 'bravo, alone')
    // Let the failure detector go all the way: the heal below is then a rejoin of dead members, the
    // harder path (suspect members refute and carry on without ever leaving the view).
    const t1 = Date.now()
    await until(a, 'A sees B dead', v => v.members[pb.id] === 'dead' && v.partition === 'partitioned', DEAD_MS)
    await until(b, 'B sees A dead', v => v.members[pa.id] === 'dead' && v.partition === 'partitioned', DEAD_MS)
    console.log(`pages show the other peer dead ${Date.now() - t1} ms later`)
    const [va, vb] = [await view(a), await view(b)]
    expect(va.chat).not.toContain('bravo, alone') // the partition is real
    expect(vb.chat).not.toContain('alpha, alone')
    expect(va.digest).not.toBe(vb.digest)
    await a.screenshot({ path: path.join(ARTIFACTS, 'browser-app-partitioned.png'), fullPage: true })
  })

  test('healed: both pages converge to the same counter, chat and digest', async () => {
    const [a, b] = pages as [Page, Page]
    for (const p of peers) expect((await http(p.http, 'DELETE', '/admin/partition')).status).toBe(200)
    const t0 = Date.now()
    const all = ['hello from alpha', 'hi from bravo', 'alpha, alone', 'bravo, alone']
    const converged = (v: View): boolean => v.counter === '5' && v.partition === 'ok' && all.every(t => v.chat.includes(t)) && v.chat.length === all.length
    await until(a, 'A converged', converged, HEAL_MS)
    // Both pages read on every poll: a digest read from A once could be older than its content.
    const { a: va, b: vb } = await untilBoth(view, a, b, 'B converged, same digest as A', (x, y) => converged(x) && converged(y) && x.digest === y.digest, HEAL_MS)
    console.log(`pages converged ${Date.now() - t0} ms after the heal`)
    expect(vb.chat).toEqual(va.chat) // same order on both: by time, then id
    for (const p of peers) expect((await http<{ value: number }>(p.http, 'GET', '/api/counter')).body).toEqual({ value: 5 })
    await a.screenshot({ path: path.join(ARTIFACTS, 'browser-app.png'), fullPage: true })
    await b.screenshot({ path: path.join(ARTIFACTS, 'browser-app-peer2.png'), fullPage: true })
    expect(pageErrors).toEqual([])
  })
})
