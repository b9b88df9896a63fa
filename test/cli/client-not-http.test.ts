/**
 * `murmur --http-addr` pointed at something that does not speak HTTP — most often a peer's libp2p `--listen`
 * port instead of its `--http` one — said only Node's parser code: "cannot reach the agent at …:
 * HPE_INVALID_CONSTANT" (and a request with a body, which that port resets, only "if the agent serves
 * HTTPS"). Now it says what answered is not HTTP and which address to give. Against a
 * stand-in that talks first (an SSH banner) and a real peer's libp2p port.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { createPeer, silentLogger } from '../../src/index.js'
import { murmur } from './helpers.js'

const HINT = '(what answered there does not speak HTTP: give the agent\'s --http address, not a peer\'s --listen port)'

let server: Server | undefined
const sockets = new Set<Socket>()
afterEach(async () => {
  for (const s of sockets) s.destroy()
  sockets.clear()
  await new Promise<void>((resolve) => { if (server?.listening === true) server.close(() => { resolve() }); else resolve() })
  server = undefined
})

describe('murmur against an address that does not speak HTTP', () => {
  test('a server that answers with something else (an SSH banner): exit 1, and the message says so', async () => {
    server = createServer((socket) => { sockets.add(socket); socket.end('SSH-2.0-OpenSSH_9.6\r\n') })
    await new Promise<void>((resolve) => { server?.listen(0, '127.0.0.1', resolve) })
    const port = (server.address() as AddressInfo).port
    const r = await murmur(['members', '--http-addr', `127.0.0.1:${port}`])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe(`murmur: cannot reach the agent at http://127.0.0.1:${port}: HPE_INVALID_CONSTANT ${HINT}\n`)
  })

  test('a peer\'s libp2p listen port', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'murmur-not-http-'))
    const peer = await createPeer({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], logger: silentLogger })
    try {
      const port = /\/tcp\/(\d+)/.exec(peer.addresses()[0] ?? '')?.[1]
      expect(port).toBeDefined()
      const r = await murmur(['members', '--http-addr', `127.0.0.1:${port ?? ''}`])
      expect(r.status).toBe(1)
      expect(r.stderr).toContain(HINT)
      // A request with a body is reset before any answer: it said only "if the agent serves HTTPS".
      const set = await murmur(['tags', 'set', 'a=b', '--http-addr', `127.0.0.1:${port ?? ''}`])
      expect(set.status).toBe(1)
      expect(set.stderr).toMatch(/: (ECONNRESET|HPE_\w+) \(.*(if that is a peer's --listen port, give its --http address|not a peer's --listen port)\)/)
    } finally {
      await peer.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
