/**
 * Quiet shutdown: when many peers stop at once, every failure each of them sees — streams reset, dials
 * and handshakes cut off, writes into closed connections — is expected, and is logged at debug. No
 * warning may blame a pre-shared key, a refusal or a stuck write that did not happen.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Destination } from '../../src/core/transport.js'
import type { Libp2pTransport } from '../../src/net/index.js'
import { captureLog, sleep, startTransport, waitFor, TEST_DIAL_TIMEOUT_MS } from './helpers.js'
import type { CapturedLog } from './helpers.js'

const PEERS = 8

describe('shutdown (transport)', () => {
  const started: Libp2pTransport[] = []
  afterEach(async () => { await Promise.all(started.splice(0).map(async t => { await t.close(500) })) })

  /**
   * Starts PEERS transports and has everyone send to everyone on both channels every 20 ms (`senders`
   * only, once the caller removes some). Returns once the mesh is fully connected and any dial that
   * lost a race during the warm-up (8 peers share one event loop) has settled, so that the log lines
   * the caller inspects are about what follows.
   */
  async function mesh (): Promise<{ logs: CapturedLog[], senders: Set<Libp2pTransport>, stop: () => void }> {
    const logs: CapturedLog[] = []
    for (let i = 0; i < PEERS; i++) {
      const log = captureLog(`p${i}`)
      logs.push(log)
      started.push(await startTransport({ logger: log.logger }, `p${i}`))
    }
    // Addresses as membership would remember them: still known after the peer stopped.
    const dests: Destination[] = started.map(t => ({ id: t.localId, addrs: t.addresses() }))
    const senders = new Set(started)
    const traffic = setInterval(() => {
      for (const a of senders) {
        for (const to of dests) {
          if (to.id === a.localId) continue
          a.send('swim', to, Uint8Array.of(1))
          a.send('sync', to, new Uint8Array(2000))
        }
      }
    }, 20)
    await waitFor(() => started.every(t => t.stats().connectedPeers === PEERS - 1), 10_000, 'a full mesh')
    await sleep(TEST_DIAL_TIMEOUT_MS + 200)
    return { logs, senders, stop: () => { clearInterval(traffic) } }
  }

  const warningsSince = (logs: CapturedLog[], marks: number[]): string[] =>
    logs.flatMap((l, i) => l.lines.slice(marks[i]).filter(x => /^(WARN|ERROR)/.test(x)).map(x => `p${i} ${x}`))

  it('peers stopping together (within ~100 ms, like a rolling stop) while exchanging frames log no warnings', async () => {
    const { logs, stop } = await mesh()
    try {
      const marks = logs.map(l => l.lines.length)
      await Promise.all(started.map(async (t, i) => { await sleep(i * 15); await t.close(2000) }))
      expect(warningsSince(logs, marks)).toEqual([])
    } finally {
      stop()
    }
  })

  it('peers that keep running while half the mesh stops log no warnings about the ones that left', async () => {
    const { logs, senders, stop } = await mesh()
    try {
      const marks = logs.map(l => l.lines.length)
      const leaving = started.slice(0, PEERS / 2)
      await Promise.all(leaving.map(async t => { senders.delete(t); await t.close(2000) }))
      // The others keep sending to everyone, the departed included, for a while.
      await sleep(500)
      expect(warningsSince(logs, marks)).toEqual([])
    } finally {
      stop()
    }
  })
})
