/**
 * Event streams (`GET /events`) and a burst: one turn of the event loop may publish many events at once —
 * every doc changed in the last 100 ms, thousands after a catch-up. The hub judged a client slow by its
 * queued bytes within that turn, before the socket could send any, so a megabyte of doc events in one turn
 * cut every stream, `murmur monitor` reading as fast as it could included. A client is slow when what it
 * left unread from earlier turns is over the limit; that one is still dropped. Real HTTP server and clients,
 * the hub's limit made small (64 KiB).
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SseHub } from '../../src/http/index.js'
import { waitFor } from '../helpers/procs.js'

const LIMIT = 64 * 1024
const EVENT = 'x'.repeat(1000)

let hub: SseHub
let server: http.Server

beforeAll(async () => {
  hub = new SseHub({ maxClients: 8, maxBufferBytes: LIMIT, heartbeatMs: 60_000 })
  server = http.createServer((req, res) => { hub.attach(req, res) })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
})
afterAll(async () => {
  hub.close()
  await new Promise(resolve => server.close(resolve))
})

interface Stream { res: http.IncomingMessage, events: () => number, closed: () => boolean }

async function stream (): Promise<Stream> {
  const res = await new Promise<http.IncomingMessage>((resolve) => {
    http.get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, path: '/', agent: false }, resolve)
  })
  let text = ''
  let closed = false
  res.setEncoding('utf8')
  res.on('data', (d: string) => { text += d })
  res.on('close', () => { closed = true })
  return { res, events: () => text.split('event: doc\n').length - 1, closed: () => closed }
}

describe('an event stream and a burst of events in one turn', () => {
  test('a client that reads gets the whole burst (twice the limit), and is not dropped', async () => {
    const reader = await stream()
    const burst = Math.ceil((2 * LIMIT) / EVENT.length)
    for (let i = 0; i < burst; i++) hub.publish('doc', EVENT)
    await waitFor('the burst read', () => reader.events() === burst || reader.closed(), 5_000, 10)
    expect(reader.closed()).toBe(false)
    expect(reader.events()).toBe(burst)
    expect(hub.dropped).toBe(0)
    reader.res.destroy()
  })

  test('a client that stops reading is dropped once its backlog outlives a turn; a reader alongside is not', async () => {
    const reader = await stream()
    const stalled = await stream()
    stalled.res.pause()
    const before = hub.dropped
    // 32 KB a turn, under the limit: only a backlog carried over from turn to turn (the kernel's socket
    // buffers full: a few MB on loopback) gets it dropped. A paused stream does not see its end: count drops.
    for (let turn = 0; turn < 1_000 && hub.dropped === before; turn++) {
      for (let i = 0; i < 32; i++) hub.publish('doc', EVENT)
      await new Promise(resolve => setTimeout(resolve, 1))
    }
    expect(hub.dropped).toBe(before + 1)
    expect(reader.closed()).toBe(false)
    reader.res.destroy()
    stalled.res.destroy()
  })
})
