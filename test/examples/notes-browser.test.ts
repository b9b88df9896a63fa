/**
 * The notes pad and /mesh in a real browser (Debian chromium, headless, driven by playwright-core): two
 * pages on two peers type into the CodeMirror editor and see each other's text and cursor; the link
 * between the peers is cut from the /mesh page of peer A (its buttons), both keep typing, and the heal
 * (again from /mesh) brings the same text to both; then page B's peer is killed, the page keeps editing
 * offline, the peer restarts and the edits arrive everywhere — also edits made in a tab that was closed
 * while the peer was down (kept in IndexedDB by y-indexeddb, merged when a page is opened again).
 * Screenshots of the editor and of /mesh during the partition go to test-artifacts/.
 */
import { mkdirSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { chromium } from 'playwright-core'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ROOT, cleanup, spawnPeer, stopPeer, tempDir, waitFor, waitForStates } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, chromiumMissing, untilBoth } from '../helpers/browser.js'

const SERVER = path.join(ROOT, 'examples', 'chat-counter', 'server.ts')
const SHOW_MS = 10_000
const PARTITION_MS = 30_000
const HEAL_MS = 45_000

const missing = chromiumMissing('notes-browser')

function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      srv.close(() => { resolve(port) })
    })
  })
}

interface NotesView { text: string, status: string, synced: boolean, cursors: string[], people: string[] }

function notes (page: Page): Promise<NotesView> {
  return page.evaluate(() => ({
    // The editor's own document (the DOM also holds the remote cursors' name labels).
    text: (window as unknown as { murmurNotes?: { view: { state: { doc: { toString(): string } } } } }).murmurNotes?.view.state.doc.toString() ?? '',
    status: document.getElementById('notes-status')?.dataset.state ?? '',
    synced: document.getElementById('notes-status')?.dataset.synced === 'true',
    cursors: [...document.querySelectorAll('#notes-editor .cm-ySelectionInfo')].map(e => e.textContent ?? ''),
    people: [...document.querySelectorAll('#notes-people li')].map(e => e.textContent ?? '')
  }))
}

async function until (page: Page, what: string, ok: (v: NotesView) => boolean, timeoutMs = SHOW_MS): Promise<NotesView> {
  let last: NotesView | undefined
  try {
    return await waitFor(what, async () => {
      last = await notes(page)
      return ok(last) ? last : false
    }, timeoutMs, 50)
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast view: ${JSON.stringify(last)}`)
  }
}

/** Waits until both pages show one text and `ok` holds for B's view (both read on every poll). */
async function sameText (a: Page, b: Page, what: string, ok: (vb: NotesView) => boolean = () => true, timeoutMs = SHOW_MS): Promise<NotesView> {
  return (await untilBoth(notes, a, b, what, (va, vb) => va.text === vb.text && ok(vb), timeoutMs)).a
}

/** Types at the end of the editor, as a person would. */
async function type (page: Page, text: string): Promise<void> {
  await page.click('#notes-editor .cm-content')
  await page.keyboard.press('Control+End')
  await page.keyboard.type(text, { delay: 5 })
}

interface MeshCell { observer: string, subject: string, state: string, cut: boolean }
function meshCells (page: Page): Promise<MeshCell[]> {
  return page.evaluate(() => [...document.querySelectorAll<HTMLElement>('#members td')].map(td => ({
    observer: td.dataset.observer ?? '', subject: td.dataset.subject ?? '', state: td.dataset.state ?? '', cut: td.dataset.cut === 'true'
  })))
}

describe.skipIf(missing !== undefined)(`notes pad and /mesh in chromium: two peers, a partition from /mesh, a killed peer${missing === undefined ? '' : ` (${missing})`}`, () => {
  const peers: PeerProcess[] = []
  const pageErrors: string[] = []
  let context: BrowserContext | undefined
  let pageA: Page
  let pageB: Page
  let mesh: Page
  let bHttpPort = 0
  let bDataDir = ''

  const open = async (url: string, label: string): Promise<Page> => {
    const page = await (context as BrowserContext).newPage()
    page.on('pageerror', (err) => { pageErrors.push(`${label}: ${err.message}`) })
    page.on('console', (msg) => {
      // A page whose peer is down logs failed WebSocket attempts: expected while it is down.
      if (msg.type() === 'error' && !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(msg.text())) pageErrors.push(`${label} console: ${msg.text()}`)
    })
    await page.goto(url)
    return page
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true })
    bHttpPort = await freePort()
    bDataDir = tempDir()
    const a = await spawnPeer({ entry: SERVER, args: ['--profile', 'local', '--name', 'alpha'] })
    const b = await spawnPeer({ entry: SERVER, args: ['--profile', 'local', '--name', 'bravo'], bootstrap: [a.addrs[0] as string], httpPort: bHttpPort, dataDir: bDataDir })
    peers.push(a, b)
    await waitForStates(peers, [a.id, b.id], 'alive', 15_000)
    context = await chromium.launchPersistentContext(tempDir('murmur-chromium-'), {
      executablePath: CHROMIUM, args: CHROMIUM_ARGS, viewport: { width: 1200, height: 900 }, timeout: 30_000
    })
    context.setDefaultTimeout(10_000)
    pageA = await open(`${a.http}/`, 'A')
    pageB = await open(`${b.http}/`, 'B')
    mesh = await open(`${a.http}/mesh`, 'mesh')
  }, 90_000)

  afterAll(async () => {
    await context?.close()
    await cleanup()
  })

  test('two pages on two peers type into the editor and see each other\'s text and cursor', async () => {
    await pageA.fill('#chat-from', 'Ada')
    await pageB.fill('#chat-from', 'Bob')
    for (const page of [pageA, pageB]) await until(page, 'notes synced', v => v.synced)
    await type(pageA, 'Ada was here. ')
    await until(pageB, 'B shows A\'s text', v => v.text.includes('Ada was here.'))
    await type(pageB, 'Bob too. ')
    await until(pageA, 'A shows B\'s text', v => v.text.includes('Bob too.'))
    await until(pageA, 'A shows Bob\'s cursor and both people', v => v.cursors.includes('Bob') && v.people.some(p => p.startsWith('Bob')) && v.people.some(p => p.startsWith('Ada')))
    const v = await sameText(pageA, pageB, 'B shows Ada\'s cursor and the same text as A', vb => vb.cursors.includes('Ada'))
    expect(v.text).toBe('Ada was here. Bob too. ')
  })

  test('cut from /mesh: both keep typing; /mesh shows the partition; heal from /mesh → the same text on both', async () => {
    const [a, b] = peers as [PeerProcess, PeerProcess]
    await waitFor('/mesh shows both peers alive in both views', async () => {
      const cells = await meshCells(mesh)
      return cells.filter(c => c.state === 'alive').length === 2
    }, SHOW_MS)
    await mesh.click(`#members td[data-observer="${a.id}"][data-subject="${b.id}"] button`)
    await waitFor('/mesh shows the cut link', async () => (await meshCells(mesh)).some(c => c.cut), SHOW_MS)

    await type(pageA, '[A during the cut] ')
    await type(pageB, '[B during the cut] ')
    await until(pageA, 'A has its own edit', v => v.text.includes('[A during the cut]'))
    await until(pageB, 'B has its own edit', v => v.text.includes('[B during the cut]'))
    // The failure detector sees it: A's view of B (and, via HTTP, B's view of A) leaves "alive".
    const t0 = Date.now()
    await waitFor('/mesh shows each side losing the other', async () => {
      const cells = await meshCells(mesh)
      const aSeesB = cells.find(c => c.observer === a.id && c.subject === b.id)?.state
      const bSeesA = cells.find(c => c.observer === b.id && c.subject === a.id)?.state
      return aSeesB !== 'alive' && aSeesB !== undefined && bSeesA !== 'alive' && bSeesA !== undefined
    }, PARTITION_MS, 200)
    console.log(`/mesh shows the partition ${Date.now() - t0} ms after the cut`)
    // B's view came over HTTP: the mesh between A and B is cut.
    expect(await mesh.evaluate((id) => document.querySelector<HTMLElement>(`#members th[title="${id}"][data-source]`)?.dataset.source, b.id)).toBe('http')
    expect((await notes(pageA)).text).not.toContain('[B during the cut]')
    expect((await notes(pageB)).text).not.toContain('[A during the cut]')
    await waitFor('/mesh shows the docs diverged', async () => await mesh.evaluate(() => document.getElementById('summary')?.dataset.diverged !== '0'), SHOW_MS)
    await mesh.screenshot({ path: path.join(ARTIFACTS, 'mesh-partition.png'), fullPage: true })
    // The editor on each side during the cut: each holds only its own side's edit.
    await pageA.locator('#notes-card').screenshot({ path: path.join(ARTIFACTS, 'notes-editor-partition-a.png') })
    await pageB.locator('#notes-card').screenshot({ path: path.join(ARTIFACTS, 'notes-editor-partition-b.png') })

    await mesh.click('#heal-all')
    const t1 = Date.now()
    const both = (v: NotesView): boolean => v.text.includes('[A during the cut]') && v.text.includes('[B during the cut]')
    await until(pageA, 'A has both sides\' edits', both, HEAL_MS)
    await sameText(pageA, pageB, 'B has the same text as A', both, HEAL_MS)
    console.log(`pages converged ${Date.now() - t1} ms after the heal`)
    await waitFor('/mesh shows every doc converged and every peer alive', async () => await mesh.evaluate(() => document.getElementById('summary')?.dataset.state === 'ok'), HEAL_MS, 200)
    await mesh.screenshot({ path: path.join(ARTIFACTS, 'mesh-healed.png'), fullPage: true })
    await type(pageA, '')
    await until(pageB, 'B shows Ada\'s cursor again', v => v.cursors.includes('Ada'), SHOW_MS)
    await pageB.locator('#notes-card').screenshot({ path: path.join(ARTIFACTS, 'notes-editor.png') })
    await pageB.screenshot({ path: path.join(ARTIFACTS, 'notes-app.png'), fullPage: true })
  }, 120_000)

  test('B\'s peer is killed: the page keeps editing offline; the peer restarts and the edits arrive everywhere', async () => {
    const a = peers[0] as PeerProcess
    const b = peers[1] as PeerProcess
    const restartB = async (): Promise<PeerProcess> => {
      const p = await spawnPeer({ entry: SERVER, args: ['--profile', 'local', '--name', 'bravo'], bootstrap: [a.addrs[0] as string], httpPort: bHttpPort, dataDir: bDataDir })
      peers[1] = p
      return p
    }
    await stopPeer(b, 'SIGKILL')
    await until(pageB, 'B shows offline', v => v.status === 'offline')
    await type(pageB, '[typed offline] ')
    await until(pageB, 'B keeps its offline edit', v => v.text.includes('[typed offline]'))
    const b2 = await restartB()
    const t0 = Date.now()
    await until(pageA, 'A gets the offline edit', v => v.text.includes('[typed offline]'), HEAL_MS)
    await until(pageB, 'B is synced again, same text', v => v.synced, HEAL_MS)
    console.log(`offline edit reached the other peer's page ${Date.now() - t0} ms after the restart`)

    // A tab closed while its peer was down: its edits wait in IndexedDB for the next page on this origin.
    await stopPeer(b2, 'SIGKILL')
    await until(pageB, 'B shows offline again', v => v.status === 'offline')
    await type(pageB, '[kept in IndexedDB] ')
    await until(pageB, 'B has it locally', v => v.text.includes('[kept in IndexedDB]'))
    await pageB.waitForTimeout(300) // y-indexeddb writes in the background
    await pageB.close()
    await restartB()
    pageB = await open(`${(peers[1] as PeerProcess).http}/`, 'B (reopened)')
    await until(pageA, 'A gets the edit that waited in IndexedDB', v => v.text.includes('[kept in IndexedDB]'), HEAL_MS)
    const va = await sameText(pageA, pageB, 'the reopened page has the same text as A', v => v.synced, HEAL_MS)
    for (const token of ['Ada was here.', 'Bob too.', '[A during the cut]', '[B during the cut]', '[typed offline]', '[kept in IndexedDB]']) expect(va.text).toContain(token)
    expect(pageErrors).toEqual([])
  }, 150_000)
})
