/**
 * Invalid input leaves running peers exactly as they were (issue: hostile input, state unchanged).
 *
 * Twin runs in the deterministic simulator: two clusters from the same seed, one of them fed thousands of
 * frames its decoders refuse, injected at random moments into random nodes and attributed to real
 * members and to strangers. A rejected frame must touch no protocol state and draw no randomness, so the
 * twins must stay identical — members, incarnations, state-change times, docs, digests, versions, every
 * byte on the network — and every rejection must be counted (decodeErrors, or the transport's size check).
 * A single divergence anywhere, at any later moment, shows that some rejected frame touched something.
 */
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import * as Y from 'yjs'
import { Channel, DEFAULT_MAX_FRAME_BYTES } from '../../src/core/transport.js'
import { encodeSync } from '../../src/replication/codec.js'
import { ReplicaCluster, SimCluster } from '../../src/sim/index.js'
import type { SimNetwork } from '../../src/sim/index.js'
import { refusedFrames, swimFramePool, swimRefuses, syncFramePool, syncRefuses } from './frames.js'
import { seededRandom } from './mutators.js'
import { useSeed } from '../helpers/replay.js'

const FILE = 'test/fuzz/sim-state.test.ts'
const SIZE = 5
/** Refused frames per protocol; with the inline burst below, > 3,000 rejected frames per protocol. */
const INJECTED = 3_000
const INJECT_WINDOW_MS = 20_000

interface Injection { at: number, to: string, from: string, frame: Uint8Array }

/** A schedule of injections: random times within the window, random victims, real and stranger senders. */
function schedule (frames: readonly Uint8Array[], ids: readonly string[], start: number, seed: number): Injection[] {
  const rand = seededRandom(seed)
  const senders = [...ids, 'stranger', '12D3KooWStrangerStrangerStrangerStranger']
  return frames.map((frame) => {
    const to = ids[Math.floor(rand() * ids.length)] as string
    // Never the victim itself: transports attribute frames to the authenticated remote, so a frame
    // "from self" cannot arrive from the network (the replicator ignores such local echoes uncounted).
    const others = senders.filter(s => s !== to)
    return { at: start + Math.floor(rand() * INJECT_WINDOW_MS), to, from: others[Math.floor(rand() * others.length)] as string, frame }
  })
}

function inject (network: SimNetwork, channel: Channel, plan: readonly Injection[]): void {
  for (const i of plan) network.at(i.at, () => { network.node(i.to).transport.receive(channel, i.from, i.frame) })
}

/** Everything observable about a membership cluster, minus the rejection counters. */
function membershipState (c: SimCluster): unknown {
  return {
    now: c.network.now,
    traffic: c.network.traffic,
    events: c.events,
    nodes: c.runningIds().map((id) => {
      const { decodeErrors: _d, ...stats } = c.membership(id).stats()
      return { id, members: c.membership(id).members(), stats }
    })
  }
}

function rejections (c: SimCluster | ReplicaCluster, channel: Channel): number {
  return c.ids.reduce((n, id) => n + c.network.node(id).transport.rejected[channel] +
    (channel === Channel.swim ? c.membership(id).stats().decodeErrors : (c as ReplicaCluster).replicator(id).stats().decodeErrors), 0)
}

describe('invalid frames leave running peers unchanged (simulator twins)', () => {
  test(`membership: ${INJECTED} refused swim frames change nothing, each is counted`, () => {
    const seed = useSeed(0x7a1_0001, FILE, `membership: ${INJECTED} refused swim frames change nothing, each is counted`)
    const ids = Array.from({ length: SIZE }, (_, i) => `n0${i}`)
    const frames = refusedFrames(swimFramePool(seed, fc.constantFrom(...ids)), INJECTED, seed, swimRefuses(DEFAULT_MAX_FRAME_BYTES.swim))
    const twins = [new SimCluster({ size: SIZE, seed }), new SimCluster({ size: SIZE, seed })] as const
    for (const c of twins) expect(c.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === SIZE, 30_000)).toBeDefined()
    const [control, fed] = twins
    expect(fed.ids).toEqual(ids)

    // A burst at one instant: the state right after equals the state right before.
    const before = membershipState(fed)
    const burst = frames.slice(0, 200)
    burst.forEach((frame, i) => { fed.network.node(ids[i % SIZE] as string).transport.receive(Channel.swim, ids[(i + 1) % SIZE] as string, frame) })
    expect(membershipState(fed)).toEqual(before)

    // The rest spread over 20 s of protocol activity; the twins must not diverge, then or later.
    inject(fed.network, Channel.swim, schedule(frames, ids, fed.network.now, seed))
    for (let step = 0; step < 4; step++) {
      for (const c of twins) c.network.runFor(INJECT_WINDOW_MS / 2)
      expect(membershipState(fed)).toEqual(membershipState(control))
    }
    expect(rejections(fed, Channel.swim)).toBe(frames.length + burst.length)
    expect(rejections(control, Channel.swim)).toBe(0)
    expect(fed.allSeeAlive(ids)).toBe(true)
    for (const c of twins) c.stopAll()
  })

  test(`replication: ${INJECTED} refused sync frames change nothing, each is counted`, () => {
    const seed = useSeed(0x7a1_0002, FILE, `replication: ${INJECTED} refused sync frames change nothing, each is counted`)
    const [control, fed] = replicaTwins(seed)
    const ids = [...fed.ids]
    const frames = refusedFrames(syncFramePool(seed, fc.constantFrom(...DOCS, 'gamma')), INJECTED, seed, syncRefuses(DEFAULT_MAX_FRAME_BYTES.sync))
    const before = replicaState(fed)
    const burst = frames.slice(0, 200)
    burst.forEach((frame, i) => { fed.network.node(ids[i % ids.length] as string).transport.receive(Channel.sync, ids[(i + 1) % ids.length] as string, frame) })
    expect(replicaState(fed)).toEqual(before)

    inject(fed.network, Channel.sync, schedule(frames, ids, fed.network.now, seed))
    for (let step = 0; step < 4; step++) {
      for (const c of [control, fed]) c.runFor(INJECT_WINDOW_MS / 2)
      expect(replicaState(fed)).toEqual(replicaState(control))
    }
    expect(rejections(fed, Channel.sync)).toBe(frames.length + burst.length)
    expect(rejections(control, Channel.sync)).toBe(0)
    expect(fed.converged(DOCS)).toBe(true)
    for (const c of [control, fed]) c.stopAll()
  })

  test('replication: frames carrying unparsable Yjs updates leave docs unchanged and are counted', () => {
    const seed = useSeed(0x7a1_0003, FILE, 'replication: frames carrying unparsable Yjs updates leave docs unchanged and are counted')
    const [, fed] = replicaTwins(seed)
    const ids = [...fed.ids]
    const frames = badUpdateFrames(seed)
    const before = replicaState(fed)
    frames.forEach((frame, i) => { fed.network.node(ids[i % ids.length] as string).transport.receive(Channel.sync, ids[(i + 1) % ids.length] as string, frame) })
    expect(replicaState(fed)).toEqual(before)
    expect(rejections(fed, Channel.sync)).toBe(frames.length)
    fed.stopAll()
  })

  // P-host-before-validate: Replicator.onUpdate and AntiEntropy.handleSyncDoc call hosts.add(from, doc)
  // before the Yjs update is checked, so a frame that is then rejected still reorders (or, from a
  // stranger, grows) the host directory — and with it later partner choices: the twins diverge. Fix:
  // record the host after `applyRemote` returned (or only for frames that passed checkUpdate).
  test('replication: a rejected Yjs update does not even touch the host directory (twins stay identical)', () => {
    const seed = useSeed(0x7a1_0003, FILE, 'replication: a rejected Yjs update does not even touch the host directory (twins stay identical)')
    const [control, fed] = replicaTwins(seed)
    const ids = [...fed.ids]
    badUpdateFrames(seed).forEach((frame, i) => { fed.network.node(ids[i % ids.length] as string).transport.receive(Channel.sync, ids[(i + 1) % ids.length] as string, frame) })
    for (let step = 0; step < 4; step++) {
      for (const c of [control, fed]) c.runFor(INJECT_WINDOW_MS / 2)
      expect(replicaState(fed, true)).toEqual(replicaState(control, true))
    }
  })
})

const DOCS = ['alpha', 'beta']

/** Two identical replica clusters, formed, with a write per node, converged. */
function replicaTwins (seed: number): [ReplicaCluster, ReplicaCluster] {
  const twins: [ReplicaCluster, ReplicaCluster] = [new ReplicaCluster({ size: SIZE - 1, seed }), new ReplicaCluster({ size: SIZE - 1, seed })]
  for (const c of twins) {
    for (const id of c.ids) for (const doc of DOCS) c.open(id, doc)
    c.runFor(2_000)
    c.ids.forEach((id, i) => {
      void c.replicator(id).write(DOCS[i % 2] as string, (d) => { d.getMap('kv').set(id, i); d.getText('t').insert(0, `from ${id} `) })
    })
    expect(c.runUntil(() => c.membershipSettled() && c.converged(DOCS), 30_000)).toBeDefined()
  }
  return twins
}

/**
 * Everything observable about a replica cluster except inbound counters (a rejected frame is counted
 * there on purpose). `withHosts`: include the host directory's size.
 */
function replicaState (c: ReplicaCluster, withHosts = false): unknown {
  return {
    traffic: c.network.traffic,
    nodes: c.runningIds().map((id) => {
      const r = c.replicator(id)
      const { decodeErrors: _d, framesIn: _f, bytesIn: _b, messagesIn: _m, trackedDocs, ...stats } = r.stats()
      return {
        id,
        members: c.membership(id).members(),
        stats: withHosts ? { ...stats, trackedDocs } : stats,
        docs: DOCS.map(d => ({ d, digest: r.digest(d), version: r.version(d), kv: r.doc(d)?.getMap('kv').toJSON(), hosts: withHosts ? r.hostsOf(d) : [] }))
      }
    })
  }
}

/** `update` and `syncDoc` frames that decode fine but carry bytes Yjs cannot parse. */
function badUpdateFrames (seed: number): Uint8Array[] {
  return invalidYjsUpdates(200, seed).flatMap((update, i) => [
    encodeSync({ type: 'update', doc: DOCS[i % 2] as string, update, ackId: i, spread: false }),
    encodeSync({ type: 'syncDoc', session: i, doc: DOCS[i % 2] as string, step: 'diff', update, vector: new Map(), durable: true })
  ])
}

/** Byte strings that Yjs refuses to parse as an update (checked against a scratch doc). */
function invalidYjsUpdates (count: number, seed: number): Uint8Array[] {
  const rand = seededRandom(seed)
  const out: Uint8Array[] = []
  while (out.length < count) {
    const bytes = Uint8Array.from({ length: 2 + Math.floor(rand() * 40) }, () => Math.floor(rand() * 256))
    try {
      Y.applyUpdate(new Y.Doc(), bytes)
    } catch {
      out.push(bytes)
    }
  }
  return out
}
