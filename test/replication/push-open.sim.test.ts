/**
 * In a mesh beyond pushAllMaxHosts, writes are pushed to the doc's homes and to the peers that hold it open
 * — not to every peer that holds a copy (src/replication/push.ts, host-directory.ts). The 50-peer soak's load:
 * every peer writes one doc over HTTP twice a second and none holds it open. Every writer's copy made it a
 * host of the doc; every push to the homes made each home know all writers as hosts, so each write of a
 * home started an epidemic through all of them, and every write of another peer went to the few hosts it
 * knew besides the homes: frames, durable appends and Yjs applies that no reader waited for (a copy read
 * over HTTP is repaired from the homes when read). One peer here holds the doc open, like an editor: its
 * writes and everyone's still reach it in one hop (or soon, through its interest rounds).
 */
import { describe, expect, test } from 'vitest'
import { ReplicaCluster } from '../../src/sim/replica-cluster.js'
import { useSeed } from '../helpers/replay.js'
import { settleMicrotasks, until } from '../helpers/sim-until.js'

const FILE = 'test/replication/push-open.sim.test.ts'
const SIZE = 24
const DOC = 'shared'
const WRITES_PER_SEC = 2
const WINDOW_MS = 20_000

interface Load { framesPerWrite: number, writes: number, editorLagP90: number, editorMissed: number, everywhere: boolean }

function quantile (xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

/** Every peer but one writes DOC without opening it; the other (not a home) holds it open and watches. */
async function writeLoad (seed: number): Promise<Load> {
  const c = new ReplicaCluster({ size: SIZE, seed, profile: 'local' })
  const { network, ids } = c
  expect(c.runUntil(() => c.membershipSettled(), 60_000), 'the mesh formed').toBeDefined()
  const homes = c.replicator(ids[0] as string).homes(DOC)
  const editor = ids.find(id => !homes.includes(id)) as string
  c.open(editor, DOC)
  const doc = await until(c, c.replicator(editor).open(DOC))
  expect(doc, 'the editor opened the doc').toBeDefined()
  const writtenAt = new Map<string, number>()
  const applied = new Set<string>()
  const seenAt = new Map<string, number>()
  doc?.getMap('kv').observe((ev) => { for (const key of ev.keysChanged) if (!seenAt.has(key)) seenAt.set(key, network.now) })
  let n = 0
  let stopAt = Infinity
  for (const id of ids) {
    if (id === editor) continue
    const write = (): void => {
      if (network.now >= stopAt) return
      const key = `${id}-${n++}`
      writtenAt.set(key, network.now)
      // A write refused outright changed nothing anywhere: only those applied are looked for.
      c.node(id).write(DOC, (d) => { d.getMap('kv').set(key, n) }).then(() => { applied.add(key) }, () => {})
      network.at(network.now + 1000 / WRITES_PER_SEC, write)
    }
    network.at(network.now + network.random.int(1000), write)
  }
  // Warm up (every writer has a copy, the homes know every writer), then measure a window.
  c.runFor(10_000)
  const frames = (): number => ids.reduce((sum, id) => { const s = c.replicator(id).stats(); return sum + s.pushes + s.forwards }, 0)
  const before = { frames: frames(), writes: writtenAt.size }
  c.runFor(WINDOW_MS)
  const writes = writtenAt.size - before.writes
  const framesPerWrite = (frames() - before.frames) / writes
  stopAt = network.now
  c.runFor(1_000)
  await settleMicrotasks()
  // Every applied write reaches the open peer and the homes once the writes stop.
  const holdsAll = (id: string): boolean => { const kv = c.replicator(id).doc(DOC)?.getMap('kv'); return kv !== undefined && [...applied].every(k => kv.has(k)) }
  const everywhere = c.runUntil(() => [editor, ...homes].every(holdsAll), 30_000) !== undefined
  const lags: number[] = []
  let editorMissed = 0
  for (const [key, at] of writtenAt) {
    if (!applied.has(key)) continue
    const seen = seenAt.get(key)
    if (seen === undefined) editorMissed++
    else lags.push(seen - at)
  }
  c.stopAll()
  return { framesPerWrite, writes, editorLagP90: quantile(lags, 0.9), editorMissed, everywhere }
}

describe('writes in a mesh beyond pushAllMaxHosts, where one peer holds the doc open', () => {
  test('go to the homes and the open peer only, reach the open peer within a second, and arrive everywhere', async () => {
    const seed = useSeed(0x09e7, FILE, 'open')
    const r = await writeLoad(seed)
    console.log(`seed ${seed}: ${r.writes} writes, ${r.framesPerWrite.toFixed(2)} update frames per write, the open peer saw 90 % of them within ${Math.round(r.editorLagP90)} ms (${r.editorMissed} never), all at the open peer and the homes: ${r.everywhere ? 'yes' : 'no'}`)
    expect(r.everywhere, 'the open peer and the homes held every write within 30 s of the last').toBe(true)
    expect(r.editorMissed, 'writes the open peer never saw').toBe(0)
    expect(r.editorLagP90, 'the open peer sees 90 % of the writes within a second').toBeLessThanOrEqual(1_000)
    // Before: 6.67 frames a write at this seed (every writer known as a host, the homes' writes spread through
    // all of them), and the open peer saw 90 % of the writes only within 1.57 s (most came in its interest
    // rounds: writers rarely knew it). Now 3.44: the homes, and the open peer (from the writer if it knows
    // it, else relayed by the homes): within 95 ms.
    expect(r.framesPerWrite, 'update frames per write').toBeLessThanOrEqual(4)
  }, 120_000)
})
