/**
 * A page on an `--http-allow-origin` origin (Debian chromium, headless, driven by playwright-core) asks a
 * peer process for a path no route serves: it reads the 404 and its JSON, as it reads a 404 of any route.
 * The 404 carried no `Access-Control-Allow-Origin`, so the browser hid it and fetch failed as a CORS error.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chromium } from 'playwright-core'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { cleanup, spawnPeer, tempDir } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'
import { CHROMIUM, CHROMIUM_ARGS, chromiumMissing } from '../helpers/browser.js'

const missing = chromiumMissing('browser-cors-404')

describe.skipIf(missing !== undefined)(`a path no route serves, fetched from an allowed origin in chromium${missing === undefined ? '' : ` (${missing})`}`, () => {
  let appServer: Server
  let peer: PeerProcess
  let browser: Browser | undefined

  beforeAll(async () => {
    appServer = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html><title>app</title>') })
    await new Promise<void>((resolve) => { appServer.listen(0, '127.0.0.1', resolve) })
    const appPort = (appServer.address() as AddressInfo).port
    peer = await spawnPeer({ args: ['--profile', 'local', '--http-allow-origin', `http://127.0.0.1:${appPort}`], dataDir: tempDir() })
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await new Promise<void>((resolve) => { appServer.close(() => { resolve() }) })
    await cleanup()
  })

  test('the page reads the 404 and its reason, not a CORS failure', async () => {
    const page = await (browser as Browser).newPage()
    page.setDefaultTimeout(10_000)
    await page.goto(`http://127.0.0.1:${(appServer.address() as AddressInfo).port}/`)
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
