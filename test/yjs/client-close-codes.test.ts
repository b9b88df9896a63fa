/**
 * `murmur_yjs_closed_total{code}` counts the close codes of y-websocket connections, the ones clients close
 * with included. A client may pick any code from 3000 to 4999: each one it closed with was a new series,
 * so one client looping over them added up to 2,000 to every scrape. Codes the bridge uses and RFC 6455's
 * keep their own series; the rest count as `other`. In-process: a real peer, HTTP server and ws clients.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import WebSocket from 'ws'
import { httpPeer } from '../helpers/http-peer.js'
import { waitFor } from '../helpers/procs.js'

let base = ''
let stop: () => Promise<void> = async () => {}

beforeAll(async () => {
  const served = await httpPeer()
  base = served.base
  stop = served.stop
}, 20_000)
afterAll(async () => { await stop() })

/** Opens /yjs/<doc>, waits for the peer's first message (the client is in its room), closes with `code`. */
async function connectAndClose (code: number): Promise<void> {
  const ws = new WebSocket(`${base.replace('http', 'ws')}/yjs/closes`)
  await new Promise((resolve, reject) => { ws.once('message', resolve); ws.once('error', reject) })
  const closed = new Promise((resolve) => { ws.once('close', resolve) })
  ws.close(code)
  await closed
}

function closedSeries (metrics: string): string[] {
  return metrics.split('\n').filter(l => l.startsWith('murmur_yjs_closed_total{'))
}

describe('close codes clients choose', () => {
  test('codes 3000–4999 a client closes with count as one series, other; 1000 keeps its own', async () => {
    const codes = [3000, 3001, 3999, 4000, 4998, 1000]
    for (const code of codes) await connectAndClose(code)
    let series: string[] = []
    await waitFor('every close counted', async () => {
      series = closedSeries(await (await fetch(`${base}/metrics`)).text())
      return series.reduce((n, l) => n + Number(l.split(' ').pop()), 0) >= codes.length
    }, 5_000, 20)
    expect(series.sort()).toEqual([
      'murmur_yjs_closed_total{code="1000",name="other"} 1',
      'murmur_yjs_closed_total{code="other",name="other"} 5'
    ])
  })
})
