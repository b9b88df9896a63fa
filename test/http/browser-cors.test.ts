/**
 * `--http-allow-origin` in a real browser (Debian chromium, headless, driven by playwright-core): a page
 * served by another server — an app on its own dev server, as Yjs apps are built — calls a peer process's
 * API with `fetch` (a PUT with a JSON body and an Idempotency-Key: the browser sends a CORS preflight
 * first) and opens its y-websocket endpoint. The page on the allowed origin does both; the same page on
 * another origin (`localhost` instead of `127.0.0.1`: another origin to the browser) can do neither, and
 * nothing it sent is written. Every wait is bounded.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { cleanup, spawnPeer, tempDir } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing } from '../helpers/browser.js'

const missing = chromiumMissing('browser-cors')

/** What the page managed: the PUT's status (or the error fetch threw), and the WebSocket's first frame. */
interface Outcome { put: string, read: string, ws: string }

/** Runs in the page: a write and a read through fetch, then a y-websocket connection, each bounded. */
async function callPeer (page: Page, peer: string): Promise<Outcome> {
  return await page.evaluate(async (base) => {
    const bounded = async <T>(p: Promise<T>): Promise<T> => await Promise.race([p, new Promise<T>((_r, reject) => setTimeout(() => { reject(new Error('timed out')) }, 5000))])
    const describe = (err: unknown): string => `error: ${err instanceof Error ? err.name : String(err)}`
    let put: string
    try {
      const r = await bounded(fetch(`${base}/docs/cors-app/kv/greeting`, { method: 'PUT', headers: { 'content-type': 'application/json', 'idempotency-key': `cors-${Math.random()}` }, body: JSON.stringify('hello from another origin') }))
      put = String(r.status)
    } catch (err) { put = describe(err) }
    let read: string
    try {
      read = await bounded(fetch(`${base}/docs/cors-app/kv/greeting`).then(async r => `${r.status} ${await r.text()}`))
    } catch (err) { read = describe(err) }
    const ws = await new Promise<string>((resolve) => {
      const socket = new WebSocket(`${base.replace(/^http/, 'ws')}/yjs/cors-app`)
      socket.binaryType = 'arraybuffer'
      const timer = setTimeout(() => { socket.close(); resolve('timed out') }, 5000)
      socket.onmessage = (e) => { clearTimeout(timer); socket.close(); resolve(`message of ${(e.data as ArrayBuffer).byteLength} bytes`) }
      socket.onclose = () => { clearTimeout(timer); resolve('closed before any message') }
    })
    return { put, read, ws }
  }, peer)
}

describe.skipIf(missing !== undefined)(`a page on another origin, in chromium${missing === undefined ? '' : ` (${missing})`}`, () => {
  let appServer: Server
  let appPort = 0
  let peer: PeerProcess
  let browser: Browser | undefined

  beforeAll(async () => {
    // The app's own server: one empty page, whatever the path.
    appServer = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html><title>app</title>') })
    await new Promise<void>((resolve) => { appServer.listen(0, '127.0.0.1', resolve) })
    appPort = (appServer.address() as AddressInfo).port
    peer = await spawnPeer({ args: ['--profile', 'local', '--http-allow-origin', `http://127.0.0.1:${appPort}`], dataDir: tempDir() })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await new Promise<void>((resolve) => { appServer.close(() => { resolve() }) })
    await cleanup()
  })

  const pageOn = async (origin: string): Promise<Page> => {
    const page = await (browser as Browser).newPage()
    page.setDefaultTimeout(10_000)
    await page.goto(`${origin}/`)
    return page
  }

  test('a page on an origin not allowed can neither write, nor read, nor open the WebSocket', async () => {
    const page = await pageOn(`http://localhost:${appPort}`)
    const out = await callPeer(page, peer.http)
    expect(out.put).toBe('error: TypeError') // the preflight was refused: fetch fails without a status
    expect(out.read).toBe('error: TypeError')
    expect(out.ws).toBe('closed before any message')
    await page.close()
    const direct = await fetch(`${peer.http}/docs/cors-app/kv/greeting`)
    expect(direct.status).toBe(404) // nothing it sent was written
  }, 30_000)

  test('the allowed origin writes through a preflighted fetch, reads the answer and syncs over y-websocket', async () => {
    const page = await pageOn(`http://127.0.0.1:${appPort}`)
    const out = await callPeer(page, peer.http)
    expect(out).toEqual({ put: '200', read: '200 "hello from another origin"', ws: expect.stringMatching(/^message of \d+ bytes$/) as unknown })
    await page.close()
  }, 30_000)

  // The 404 of a path no route serves carried no Access-Control-Allow-Origin: the browser hid it, and
  // fetch failed as a CORS error.
  test('the allowed origin reads the 404 of a path no route serves, and its reason, not a CORS failure', async () => {
    const page = await pageOn(`http://127.0.0.1:${appPort}`)
    const seen = await page.evaluate(async (base) => {
      const get = async (path: string): Promise<string> => {
        try {
          const r = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5000) })
          return `${r.status} ${await r.text()}`
        } catch (err) {
          return `error: ${err instanceof Error ? err.name : String(err)}`
        }
      }
      return { unknown: await get('/no-such-route'), known: await get('/docs/none/kv/x') }
    }, peer.http)
    expect(seen.known).toMatch(/^404 /) // a route's 404 was always readable
    expect(seen.unknown).toBe('404 {"error":"no route GET /no-such-route","code":"not_found"}')
    await page.close()
  }, 30_000)
})
