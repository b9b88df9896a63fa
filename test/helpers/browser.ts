/**
 * Chromium for browser tests: Debian's /usr/bin/chromium driven by playwright-core (`npx playwright
 * install` cannot work offline). A test file skips with a clear message when it is not installed.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { ROOT, spawnPeer, waitFor } from './procs.js'
import type { PeerProcess } from './procs.js'

export const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync']
/** Screenshots kept for people to look at (git-ignored). */
export const ARTIFACTS = path.join(ROOT, 'test-artifacts')

/** Undefined when Chromium is there; else the reason to print and the skip label. */
export function chromiumMissing (testName: string): string | undefined {
  if (existsSync(CHROMIUM)) return undefined
  console.warn(`${testName}: SKIPPED — ${CHROMIUM} not found; install it with: apt-get install -y chromium`)
  return `skipped: ${CHROMIUM} not installed`
}

/** Polls one page with `read` until `ok(view)`; on timeout the error shows the last view. */
export async function untilView<V> (read: (page: Page) => Promise<V>, page: Page, what: string, ok: (v: V) => boolean, timeoutMs: number): Promise<V> {
  let last: V | undefined
  try {
    return await waitFor(what, async () => {
      last = await read(page)
      return ok(last) ? last : false
    }, timeoutMs)
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast view: ${JSON.stringify(last)}`)
  }
}

/**
 * Polls two pages, reading both on every poll, until `ok(a, b)` — e.g. both show one text or one digest.
 * A view of one page read once, then waited for on the other, can miss updates still on their way to the
 * first (a trailing space typed as its own update), and the second then never equals it. On timeout the
 * error shows both last views.
 */
export async function untilBoth<V> (read: (page: Page) => Promise<V>, a: Page, b: Page, what: string, ok: (a: V, b: V) => boolean, timeoutMs: number): Promise<{ a: V, b: V }> {
  let last: { a: V, b: V } | undefined
  try {
    return await waitFor(what, async () => {
      last = { a: await read(a), b: await read(b) }
      return ok(last.a, last.b) ? last : false
    }, timeoutMs, 50)
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast views: ${JSON.stringify(last)}`)
  }
}

/** The chat-counter app's server (the peer CLI plus the app). */
export const APP_SERVER = path.join(ROOT, 'examples', 'chat-counter', 'server.ts')

/** One chat-counter peer (profile local, named `name`) and its page in a fresh headless Chromium. */
export async function openAppPage (name: string): Promise<{ peer: PeerProcess, browser: Browser, page: Page }> {
  const peer = await spawnPeer({ entry: APP_SERVER, args: ['--profile', 'local', '--name', name] })
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 })
  const page = await browser.newPage()
  page.setDefaultTimeout(10_000)
  await page.goto(`${peer.http}/`)
  return { peer, browser, page }
}
