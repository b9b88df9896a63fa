import { describe, expect, it } from 'vitest'
import { Channel } from '../../src/core/transport.js'
import { decodeSync } from '../../src/replication/codec.js'
import { StaticCluster, settle } from './helpers.js'

const MAX = 1024 * 1024

/**
 * Issue 14: on the 30-peer soak every host writes the one soak doc, and each forward frame carried one
 * write — a host sent and received ~k frames per write of the whole mesh, and the frames' fixed cost (a
 * stream write, the muxer, the cipher, a durable append) saturated two cores. Forwards of one doc now wait
 * `forwardBatchMs` (250 ms) and leave merged, one frame per target.
 */
describe('push batching', () => {
  async function run (forwardBatchMs: number): Promise<{ framesPerWrite: number, writes: number, converged: boolean }> {
    const size = 12
    const c = new StaticCluster({ size, seed: 0xba7c, replication: { pushFanout: 3, pushAllMaxHosts: 0, discoveryRatio: 1, antiEntropyIntervalMs: 200, forwardBatchMs } })
    c.openAll('doc')
    expect(c.network.runUntil(() => c.ids.every(id => c.r(id).hostsOf('doc').length === size - 1), 30_000)).toBeDefined()
    c.network.runFor(400)
    const start = c.sent.length
    // Every host writes every 100 ms, staggered, for 3 s: 30 writes each, 120 a second in all.
    let writes = 0
    for (let t = 0; t < 3_000; t += 100) {
      c.ids.forEach((id, i) => {
        c.network.at(c.network.now + t + i * (100 / size), () => {
          writes++
          c.r(id).write('doc', d => { d.getMap('kv').set(`${id}-${t}`, t) }).catch(() => {})
        })
      })
    }
    for (let t = 0; t < 5_000; t += 50) {
      c.network.runFor(50)
      await settle()
    }
    const frames = c.sent.slice(start).filter(f => f.channel === Channel.sync && decodeSync(f.frame, MAX).type === 'update').length
    const converged = c.network.runUntil(() => c.ids.every(id => c.r(id).doc('doc')?.getMap('kv').size === writes), 10_000) !== undefined
    c.stop()
    return { framesPerWrite: frames / writes, writes, converged }
  }

  it('forwards of one doc share their frames: update frames per write fall several-fold, and every write still arrives everywhere (push, then anti-entropy)', async () => {
    const turn = await run(0)
    const batched = await run(250)
    expect(batched.writes).toBe(360)
    expect(batched.converged).toBe(true)
    expect(turn.converged).toBe(true)
    // One frame per write would be homes + k for the writer and k per host that forwards: ≈ 3 + 3 + 11·3.
    expect(turn.framesPerWrite, 'unbatched, one write per frame').toBeGreaterThan(20)
    expect(batched.framesPerWrite, `batched: ${batched.framesPerWrite.toFixed(1)} frames per write, unbatched ${turn.framesPerWrite.toFixed(1)}`).toBeLessThan(turn.framesPerWrite / 3)
  })
})
