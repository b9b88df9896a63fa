/**
 * The chat-counter page of a peer that requires a token (`--http-token`), in a real browser (Debian
 * chromium, headless, driven by playwright-core). Opened without the token, or with a wrong one, the page
 * says that the peer wants its token and how to give it — it used to show "reconnecting to this peer…"
 * for ever, in the header and in the notes pad, as if the peer were down; appending `#token=<token>` to
 * the address then connects, no reload needed. Every wait polls the page with a bound; no sleeps.
 */
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { ROOT, cleanup, spawnPeer, tempDir, waitFor } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing, untilView } from '../helpers/browser.js'

const SERVER = path.join(ROOT, 'examples', 'chat-counter', 'server.ts')
const TOKEN = 'token-for-the-browser-test-0123'
const SHOW_MS = 10_000

const missing = chromiumMissing('browser-token')

interface View { connection: string, connectionText: string, banner: string, bannerText: string, status: string, notes: string, notesText: string, counter: string }

function view (page: Page): Promise<View> {
  return page.evaluate(() => ({
    connection: document.getElementById('connection')?.dataset.state ?? '',
    connectionText: document.getElementById('connection')?.textContent ?? '',
    banner: document.getElementById('partition')?.dataset.state ?? '',
    bannerText: document.getElementById('partition')?.textContent ?? '',
    status: document.getElementById('status')?.textContent ?? '',
    notes: document.getElementById('notes-status')?.dataset.state ?? '',
    notesText: document.getElementById('notes-status')?.textContent ?? '',
    counter: document.getElementById('counter-value')?.textContent ?? ''
  }))
}

async function until (page: Page, what: string, ok: (v: View) => boolean): Promise<View> {
  return await untilView(view, page, what, ok, SHOW_MS)
}

describe.skipIf(missing !== undefined)(`chat-counter in chromium: a peer that requires a token${missing === undefined ? '' : ` (${missing})`}`, () => {
  let peer: PeerProcess
  let browser: Browser | undefined
  const pageErrors: string[] = []

  beforeAll(async () => {
    peer = await spawnPeer({ entry: SERVER, args: ['--profile', 'local'], token: TOKEN, dataDir: tempDir() })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await cleanup()
  })

  const open = async (hash: string): Promise<Page> => {
    const page = await (browser as Browser).newPage()
    page.setDefaultTimeout(10_000)
    page.on('pageerror', (err) => { pageErrors.push(err.message) })
    await page.goto(`${peer.http}/${hash}`)
    return page
  }

  test.each([
    ['without a token', '', /needs its access token/],
    ['with a wrong token', '#token=not-the-right-token-xyz', /refused the access token/]
  ])('opened %s: the page says the peer wants its token, in the header and the notes pad, then #token= connects it', async (_label, hash, message) => {
    const page = await open(hash)
    const denied = await until(page, 'the page tells the token is missing or wrong', v => v.connection === 'denied' && v.notes === 'denied')
    // Said at the top of the page, where the mesh status goes, and in the status line.
    expect(denied.banner).toBe('denied')
    expect(denied.bannerText).toMatch(message)
    expect(denied.bannerText).toContain(`${peer.http}/#token=`)
    expect(denied.status).toMatch(message)
    expect(denied.notesText).toMatch(/token/)
    expect(denied.connectionText).not.toMatch(/reconnecting/)
    // The user appends the token to the address; the page connects with it.
    await page.evaluate((t) => { location.hash = `token=${t}` }, TOKEN)
    const live = await until(page, 'live with the token', v => v.connection === 'live' && v.notes === 'synced' && v.counter !== '–' && v.banner === 'ok')
    expect(live.status).toBe('')
    expect(await page.evaluate(() => location.hash)).toBe('') // taken out of the address bar again
    await page.close()
  })

  test('a token holding % and & (any non-space characters are allowed) works when pasted after #token= as it is', async () => {
    const odd = 'pct%zz&amp=1-token-0123456789'
    const other = await spawnPeer({ entry: SERVER, args: ['--profile', 'local'], token: odd, dataDir: tempDir() })
    const page = await (browser as Browser).newPage()
    const errors: string[] = []
    page.on('pageerror', (err) => { errors.push(err.message) })
    await page.goto(`${other.http}/#token=${odd}`)
    let last: View | undefined
    await waitFor('live with the odd token', async () => {
      last = await view(page)
      return last.connection === 'live' && last.notes === 'synced'
    }, SHOW_MS).catch((err: unknown) => { throw new Error(`${(err as Error).message}\nlast view: ${JSON.stringify(last)}; page errors: ${errors.join('; ')}`) })
    expect(errors).toEqual([])
    // The /mesh page reads the token the same way.
    const mesh = await (browser as Browser).newPage()
    mesh.on('pageerror', (err) => { errors.push(`mesh: ${err.message}`) })
    await mesh.goto(`${other.http}/mesh#token=${odd}`)
    await waitFor('/mesh shows the peer', async () => await mesh.evaluate(() => document.querySelectorAll('#members td').length) > 0, SHOW_MS)
    expect(errors).toEqual([])
    await mesh.close()
    await page.close()
  })

  // It said "this peer does not answer (HTTP 401)", as if the peer were down, and a #token= typed
  // afterwards changed nothing until a reload.
  test.each([
    ['without a token', '', /needs its access token/],
    ['with a wrong token', '#token=not-the-right-token-xyz', /refused the access token/]
  ])('/mesh opened %s says the peer wants its token, then #token= connects it', async (_label, hash, message) => {
    const mesh = await open(`mesh${hash}`)
    const updated = (): Promise<{ state: string, text: string }> => mesh.evaluate(() => ({
      state: document.getElementById('updated')?.dataset.state ?? '', text: document.getElementById('updated')?.textContent ?? ''
    }))
    const denied = await untilView(updated, mesh, '/mesh tells the token is missing or wrong', v => v.state === 'denied', SHOW_MS)
    expect(denied.text).toMatch(message)
    expect(denied.text).toContain(`${peer.http}/mesh#token=`)
    expect(denied.text).not.toMatch(/does not answer/)
    await mesh.evaluate((t) => { location.hash = `token=${t}` }, TOKEN)
    await untilView(updated, mesh, '/mesh live with the token', v => v.state === 'live', SHOW_MS)
    expect(await mesh.evaluate(() => document.querySelectorAll('#members td').length)).toBeGreaterThan(0)
    await mesh.close()
  })

  test('no page errors', () => {
    expect(pageErrors).toEqual([])
  })
})
