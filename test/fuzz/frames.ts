/**
 * Valid swim and sync messages for the fuzz tests: fast-check arbitraries, pools of encoded frames to
 * mutate (generated ones plus some at the count limits), and pools of frames the decoders refuse (for
 * feeding running peers: only refused frames are guaranteed to leave state untouched).
 */
import fc from 'fast-check'
import { SWIM_LIMITS, decodeSwim, encodeSwim } from '../../src/membership/codec.js'
import type { SwimMessage } from '../../src/membership/codec.js'
import type { MemberUpdate } from '../../src/membership/member.js'
import { SYNC_LIMITS, checkDocName, decodeSync, encodeSync } from '../../src/replication/codec.js'
import type { SyncMessage } from '../../src/replication/codec.js'
import { applyPlan, randomPlan, seededRandom } from './mutators.js'

// ── swim ─────────────────────────────────────────────────────────────────────────────────────────

export function swimMessageArb (ids: fc.Arbitrary<string> = fc.stringMatching(/^[\x21-\x7e]{1,20}$/)): fc.Arbitrary<SwimMessage> {
  const metaArb = fc.record({
    name: fc.string({ maxLength: 20 }),
    addrs: fc.array(fc.string({ maxLength: 40 }), { maxLength: 3 }),
    tags: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 }), { maxKeys: 3 })
  })
  const updateArb: fc.Arbitrary<MemberUpdate> = fc.oneof(
    fc.record({ state: fc.constant('alive' as const), id: ids, incarnation: fc.nat(), from: fc.constant(''), meta: metaArb }),
    fc.record({ state: fc.constantFrom('suspect' as const, 'dead' as const, 'left' as const), id: ids, incarnation: fc.nat(), from: ids })
  )
  const gossipArb = fc.array(updateArb, { maxLength: 4 })
  const seqArb = fc.integer({ min: 0, max: 0xffff_ffff })
  return fc.oneof(
    fc.record({ type: fc.constantFrom('ping' as const, 'ack' as const, 'nack' as const), seq: seqArb, gossip: gossipArb }),
    fc.record({ type: fc.constant('pingReq' as const), seq: seqArb, target: ids, targetAddrs: fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }), gossip: gossipArb }),
    fc.record({ type: fc.constant('pushPull' as const), seq: seqArb, page: fc.integer({ min: 0, max: SWIM_LIMITS.pages }), join: fc.boolean(), members: fc.array(updateArb, { maxLength: 6 }), gossip: gossipArb }),
    fc.record({ type: fc.constant('pushPullReply' as const), seq: seqArb, page: fc.integer({ min: 0, max: SWIM_LIMITS.pages }), members: fc.array(updateArb, { maxLength: 6 }), gossip: gossipArb }),
    fc.record({ type: fc.constant('gossip' as const), gossip: gossipArb })
  )
}

export function swimFramePool (seed: number, ids?: fc.Arbitrary<string>): Uint8Array[] {
  const generated = fc.sample(swimMessageArb(ids), { seed, numRuns: 400 }).map(encodeSwim)
  const dead = (i: number): MemberUpdate => ({ state: 'dead', id: `p${i}`, incarnation: i, from: 'x' })
  const atLimits: SwimMessage[] = [
    { type: 'gossip', gossip: Array.from({ length: SWIM_LIMITS.gossipEntries }, (_, i) => dead(i)) },
    { type: 'pushPullReply', seq: 1, page: SWIM_LIMITS.pages, members: Array.from({ length: 1000 }, (_, i) => dead(i)), gossip: [] },
    {
      type: 'gossip',
      gossip: [{
        state: 'alive', id: 'x'.repeat(SWIM_LIMITS.idChars), incarnation: SWIM_LIMITS.maxIncarnation, from: '',
        meta: {
          name: 'n'.repeat(SWIM_LIMITS.nameChars),
          addrs: Array.from({ length: SWIM_LIMITS.addrs }, () => 'a'.repeat(SWIM_LIMITS.addrChars)),
          tags: Object.fromEntries(Array.from({ length: SWIM_LIMITS.tags }, (_, i) => [`k${i}`.padEnd(SWIM_LIMITS.tagKeyChars, 'k'), 'v'.repeat(SWIM_LIMITS.tagValueChars)]))
        }
      }]
    }
  ]
  return [...generated, ...atLimits.map(encodeSwim)]
}

// ── sync ─────────────────────────────────────────────────────────────────────────────────────────

/** Upper bounds on the generated lists and byte strings (the fuzz seeds stay small; the codec test goes larger). */
export interface SyncArbSizes { vector: number, update: number, entries: number, others: number, hints: number, chunk: number }
const SMALL: SyncArbSizes = { vector: 6, update: 60, entries: 6, others: 4, hints: 3, chunk: 60 }

/** Every well-formed sync message, field values within the codec's limits. */
export function syncMessageArb (docs: fc.Arbitrary<string> = validDocArb, sizes: SyncArbSizes = SMALL): fc.Arbitrary<SyncMessage> {
  const peerArb = fc.stringMatching(/^[\x21-\x7e]{1,20}$/)
  const u32 = fc.integer({ min: 0, max: 0xffff_ffff })
  const vectorArb = fc.uniqueArray(fc.tuple(u32, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })), { selector: ([id]) => id, maxLength: sizes.vector })
    .map(entries => new Map(entries))
  const updateArb = fc.uint8Array({ minLength: 2, maxLength: sizes.update })
  return fc.oneof(
    fc.integer({ min: 1, max: SYNC_LIMITS.pages }).chain(pages => fc.record({
      type: fc.constant('digests' as const),
      session: u32,
      page: fc.integer({ min: 0, max: pages - 1 }),
      pages: fc.constant(pages),
      full: fc.boolean(),
      entries: fc.uniqueArray(fc.record({ doc: docs, digest: fc.uint8Array({ minLength: 16, maxLength: 16 }) }), { selector: e => e.doc, maxLength: sizes.entries }),
      scope: fc.constantFrom('plain' as const, 'handoff' as const),
      buckets: fc.constant([])
    }).chain(d => d.scope !== 'plain' || d.entries.length === 0
      ? fc.constant(d)
      : fc.option(fc.uint8Array({ minLength: Math.ceil(d.entries.length / 8), maxLength: Math.ceil(d.entries.length / 8) }), { nil: undefined }).map(open => open === undefined ? d : { ...d, open }))),
    fc.record({
      type: fc.constant('digests' as const),
      session: u32,
      page: fc.constant(0),
      pages: fc.constant(1),
      full: fc.constant(false),
      entries: fc.uniqueArray(fc.record({ doc: docs, digest: fc.uint8Array({ minLength: 16, maxLength: 16 }) }), { selector: e => e.doc, maxLength: sizes.entries }),
      scope: fc.constant('shared' as const),
      buckets: fc.uniqueArray(fc.integer({ min: 0, max: SYNC_LIMITS.summaryBuckets - 1 }), { maxLength: 8 })
    }),
    fc.record({
      type: fc.constant('digestsReply' as const),
      session: u32,
      page: fc.integer({ min: 0, max: SYNC_LIMITS.pages - 1 }),
      hosted: fc.uint8Array({ maxLength: 4 }),
      differing: fc.integer({ min: 0, max: 30 }),
      others: fc.array(docs, { maxLength: sizes.others }),
      hints: fc.array(fc.record({ doc: docs, peers: fc.array(peerArb, { maxLength: SYNC_LIMITS.hintPeers }) }), { maxLength: sizes.hints }),
      equal: fc.uint8Array({ maxLength: 0 }),
      durable: fc.boolean()
    }).chain(r => fc.boolean().map(trimmed => trimmed ? { ...r, trimmed } : r))
      .chain(r => r.hosted.byteLength === 0 ? fc.constant(r) : fc.option(fc.uint8Array({ minLength: r.hosted.byteLength, maxLength: r.hosted.byteLength }), { nil: undefined }).map(open => open === undefined ? r : { ...r, open })),
    fc.record({ type: fc.constant('syncDoc' as const), session: u32, doc: docs, step: fc.constant('vector' as const), vector: vectorArb }),
    fc.record({ type: fc.constant('syncDoc' as const), session: u32, doc: docs, step: fc.constant('diffAndVector' as const), vector: vectorArb, update: updateArb }),
    fc.record({ type: fc.constant('syncDoc' as const), session: u32, doc: docs, step: fc.constant('diffAndVector' as const), vector: vectorArb, update: updateArb, digest: fc.uint8Array({ minLength: 16, maxLength: 16 }) }),
    fc.integer({ min: 1, max: 40 }).chain(n => fc.record({
      type: fc.constant('digests' as const),
      session: u32,
      page: fc.constant(0),
      pages: fc.constant(1),
      full: fc.constant(false),
      entries: fc.constant([]),
      scope: fc.constant('handoff' as const),
      buckets: fc.constant([]),
      compact: fc.record({ names: fc.uint8Array({ minLength: 4 * n, maxLength: 4 * n }), marks: fc.uint8Array({ minLength: 2 * n, maxLength: 2 * n }) })
    })),
    fc.integer({ min: 0, max: 7 }).chain(k => fc.record({
      type: fc.constant('digests' as const),
      session: u32,
      page: fc.constant(0),
      pages: fc.constant(1),
      full: fc.constant(false),
      entries: fc.constant([]),
      scope: fc.constant('shared' as const),
      buckets: fc.uniqueArray(fc.integer({ min: 0, max: (1 << k) - 1 }), { maxLength: 8 }),
      groups: fc.constant(1 << k)
    })),
    fc.integer({ min: 1, max: 4 }).chain(bytes => fc.record({
      type: fc.constant('digestsReply' as const),
      session: u32,
      page: fc.constant(0),
      hosted: fc.uint8Array({ minLength: bytes, maxLength: bytes }),
      differing: fc.integer({ min: 0, max: 30 }),
      others: fc.constant([]),
      hints: fc.constant([]),
      equal: fc.uint8Array({ minLength: bytes, maxLength: bytes }),
      durable: fc.boolean(),
      unresolved: fc.uint8Array({ minLength: bytes, maxLength: bytes }),
      proof: fc.uint8Array({ minLength: 16, maxLength: 16 })
    })),
    fc.record({ type: fc.constant('syncDoc' as const), session: u32, doc: docs, step: fc.constant('diff' as const), update: updateArb, vector: vectorArb, durable: fc.boolean() }),
    fc.record({ type: fc.constant('syncDoc' as const), session: u32, doc: docs, step: fc.constant('diff' as const), update: updateArb, vector: fc.constant(new Map<number, number>()), durable: fc.boolean(), covers: fc.constant(true) }),
    fc.array(fc.record({ type: fc.constant('syncDoc' as const), session: u32, doc: docs, step: fc.constant('vector' as const), vector: vectorArb }), { minLength: 1, maxLength: 4 })
      .map(steps => ({ type: 'syncBatch' as const, steps })),
    fc.record({ type: fc.constant('summary' as const), session: u32, root: fc.uint8Array({ minLength: 8, maxLength: 8 }), count: u32 }),
    fc.record({ type: fc.constant('summaryReply' as const), session: u32, equal: fc.constant(true), buckets: fc.constant(new Uint8Array(0)) }),
    fc.record({ type: fc.constant('summaryReply' as const), session: u32, equal: fc.constant(true), buckets: fc.constant(new Uint8Array(0)), later: fc.constant(true) }),
    fc.record({ type: fc.constant('summaryReply' as const), session: u32, equal: fc.constant(false), buckets: fc.uint8Array({ minLength: SYNC_LIMITS.summaryBuckets * 8, maxLength: SYNC_LIMITS.summaryBuckets * 8 }) }),
    fc.record({ type: fc.constant('summaryReply' as const), session: u32, equal: fc.boolean(), buckets: fc.constant(new Uint8Array(0)), catchingUp: fc.constant(true) }),
    fc.integer({ min: 0, max: 7 }).chain(k => fc.record({ type: fc.constant('summaryReply' as const), session: u32, equal: fc.constant(false), buckets: fc.uint8Array({ minLength: 8 << k, maxLength: 8 << k }) })),
    fc.record({ type: fc.constant('update' as const), doc: docs, update: updateArb, ackId: u32, spread: fc.boolean() }),
    fc.record({ type: fc.constant('update' as const), doc: docs, update: updateArb, ackId: u32, spread: fc.boolean(), open: fc.boolean() }),
    fc.record({ type: fc.constant('ack' as const), doc: docs, ackId: fc.integer({ min: 1, max: 0xffff_ffff }), vector: vectorArb, durable: fc.boolean() }),
    fc.integer({ min: 2, max: 50 }).chain(count => fc.record({
      type: fc.constant('chunk' as const),
      transfer: u32,
      index: fc.integer({ min: 0, max: count - 1 }),
      count: fc.constant(count),
      data: fc.uint8Array({ minLength: 1, maxLength: sizes.chunk })
    }))
  )
}

export const validDocArb = fc.string({ minLength: 1, maxLength: 24 }).filter(s => {
  try { checkDocName(s); return true } catch { return false }
})

export function syncFramePool (seed: number, docs?: fc.Arbitrary<string>): Uint8Array[] {
  const generated = fc.sample(syncMessageArb(docs), { seed, numRuns: 400 }).map(encodeSync)
  const digest = new Uint8Array(16)
  const atLimits: SyncMessage[] = [
    { type: 'digests', session: 1, page: 0, pages: 1, full: true, entries: Array.from({ length: 1000 }, (_, i) => ({ doc: `d${i}`, digest })), scope: 'plain', buckets: [] },
    { type: 'ack', doc: 'x'.repeat(SYNC_LIMITS.docNameChars), ackId: 0xffff_ffff, vector: new Map(Array.from({ length: 2000 }, (_, i) => [i, i + 1])), durable: true },
    { type: 'digestsReply', session: 0, page: SYNC_LIMITS.pages - 1, hosted: new Uint8Array(512), differing: SYNC_LIMITS.docsPerFrame, others: Array.from({ length: 300 }, (_, i) => `o${i}`), hints: [{ doc: 'h', peers: ['a', 'b', 'c', 'd'] }], equal: new Uint8Array(512), durable: true },
    { type: 'summaryReply', session: 3, equal: false, buckets: new Uint8Array(SYNC_LIMITS.summaryBuckets * 8) }
  ]
  return [...generated, ...atLimits.map(encodeSync)]
}

// ── refused frames, for running peers ────────────────────────────────────────────────────────────

/**
 * `count` mutated frames that `refuses` rejects, drawn from `pool` with a seeded PRNG (no fast-check:
 * these feed simulators and processes, where a plain replayable list is what is needed).
 */
export function refusedFrames (pool: readonly Uint8Array[], count: number, seed: number, refuses: (frame: Uint8Array) => boolean, maxBytes = Infinity): Uint8Array[] {
  const rand = seededRandom(seed)
  const out: Uint8Array[] = []
  for (let tries = 0; out.length < count && tries < count * 50; tries++) {
    const frame = applyPlan(pool, randomPlan(rand))
    if (frame.byteLength > 0 && frame.byteLength <= maxBytes && refuses(frame)) out.push(frame)
  }
  if (out.length < count) throw new Error(`only ${out.length} of ${count} refused frames after ${count * 50} tries`)
  return out
}

export function swimRefuses (maxFrameBytes: number): (frame: Uint8Array) => boolean {
  return (frame) => {
    try {
      decodeSwim(frame, maxFrameBytes)
      return false
    } catch {
      return true
    }
  }
}

export function syncRefuses (maxFrameBytes: number): (frame: Uint8Array) => boolean {
  return (frame) => {
    try {
      decodeSync(frame, maxFrameBytes)
      return false
    } catch {
      return true
    }
  }
}
