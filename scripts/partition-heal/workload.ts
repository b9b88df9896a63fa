/**
 * The workload: one writer per peer, each issuing its writes one at a time against its own peer's app API
 * — counter increments (small ± deltas) and chat messages — and recording every attempt in the history
 * with what the peer answered. Writes are released in batches ("tickets") by the round driver, tagged with
 * the round, the phase and the side of the fault the peer is on, and paced over the phase so they keep
 * coming while the fault holds (AP: a write is local and must be acknowledged whatever the network does).
 *
 * Each writer draws from its own seeded stream, so peer i's sequence of kinds and deltas is a function of
 * the seed alone, not of how requests interleave.
 *
 * Every write carries an idempotency key. A write whose outcome is unknown (timeout, reset, a 500) is
 * retried with the same key — on its own peer if it is up, else on another one, possibly across the
 * partition — like a client that wants its click counted exactly once; the checker then verifies that no
 * key took effect twice.
 */
import type { Random } from '../../dist/core/random.js'
import { sleep } from '../lib/peers.ts'
import { call } from './client.ts'
import type { Outcome } from './client.ts'
import type { Cluster } from './cluster.ts'
import { combine, isChatMessage, isCounterAnswer } from './history.ts'
import type { Attempt, Phase, WriteOp } from './history.ts'

/** A write answers within this, or it is `unknown`. Long enough for a durable local write on a busy box. */
export const WRITE_TIMEOUT_MS = 5_000
/** Share of counter increments among writes (the rest are chat messages). */
const COUNTER_SHARE = 0.6
/** Counter deltas are ±1…MAX_DELTA; negative with this probability. */
const MAX_DELTA = 5
const NEGATIVE_SHARE = 0.3
/** Bounds on the pause between two writes of one writer. */
const MIN_PACE_MS = 15
const MAX_PACE_MS = 600
/** A writer with nothing to do (or a peer that is down) looks again this often. */
const IDLE_POLL_MS = 25
/** Retries of a write whose outcome is unknown, with the same key; the k-th after k × RETRY_PAUSE_MS. */
const MAX_RETRIES = 4
const RETRY_PAUSE_MS = 500

export interface Ticket { round: number, phase: Phase, side: string }

interface Writer {
  readonly peer: number
  readonly rng: Random
  /** Where retries go: its own stream, so that retries do not shift the writer's kinds and deltas. */
  readonly retryRng: Random
  readonly queue: Ticket[]
  paceMs: number
  inFlight: boolean
  issued: number
}

export interface WorkloadOptions {
  cluster: Cluster
  /** One stream per peer (see the file comment). */
  rngs: readonly Random[]
  /** Goes into every chat text, so messages of another run can never be mistaken for ours. */
  runTag: string
  signal: AbortSignal
}

export class Workload {
  readonly ops: WriteOp[] = []
  private readonly writers: Writer[]
  private readonly o: WorkloadOptions
  private stopped = false
  /** Resolvers waiting for the next write on a peer to start (the nemesis kills mid-write). */
  private readonly startWaiters = new Map<number, Array<() => void>>()
  private loops: Array<Promise<void>> = []

  constructor (o: WorkloadOptions) {
    this.o = o
    this.writers = o.rngs.map((rng, peer) => ({ peer, rng, retryRng: rng.fork(), queue: [], paceMs: MAX_PACE_MS, inFlight: false, issued: 0 }))
  }

  start (): void {
    this.loops = this.writers.map(async (w) => { await this.loop(w) })
  }

  /** Queues `count` writes on `peer`, spread over about `spreadMs`. */
  release (peer: number, count: number, ticket: Ticket, spreadMs: number): void {
    const w = this.writers[peer]
    if (w === undefined || count <= 0) return
    for (let k = 0; k < count; k++) w.queue.push(ticket)
    w.paceMs = pace(spreadMs, w.queue.length)
  }

  /**
   * Resolves true when `peer` next starts a write (its request is about to leave), false after `timeoutMs`.
   * The nemesis uses it to SIGKILL a peer with a write in flight.
   */
  async nextWriteStart (peer: number, timeoutMs: number): Promise<boolean> {
    return await new Promise<boolean>((resolve) => {
      const waiters = this.startWaiters.get(peer) ?? []
      this.startWaiters.set(peer, waiters)
      const wake = (): void => { clearTimeout(timer); resolve(true) }
      const timer = setTimeout(() => {
        const at = waiters.indexOf(wake)
        if (at >= 0) waiters.splice(at, 1)
        resolve(false)
      }, timeoutMs)
      waiters.push(wake)
    })
  }

  /** Re-tags what `peer` still has queued (a killed peer's writes, issued after its restart), spread anew. */
  retag (peer: number, ticket: Ticket, spreadMs: number): void {
    const w = this.writers[peer]
    if (w === undefined || w.queue.length === 0) return
    w.queue.fill(ticket)
    w.paceMs = pace(spreadMs, w.queue.length)
  }

  /** Writes still queued or in flight on peers that are up (a down peer's queue waits for its restart). */
  pendingOnUpPeers (): number {
    return this.writers.filter(w => this.o.cluster.isUp(w.peer)).reduce((sum, w) => sum + w.queue.length + (w.inFlight ? 1 : 0), 0)
  }

  pending (): number {
    return this.writers.reduce((sum, w) => sum + w.queue.length + (w.inFlight ? 1 : 0), 0)
  }

  /** Stops issuing; resolves once every in-flight write has its answer (each is bounded by WRITE_TIMEOUT_MS). */
  async stop (): Promise<void> {
    this.stopped = true
    await Promise.all(this.loops)
  }

  private async loop (w: Writer): Promise<void> {
    while (!this.stopped && !this.o.signal.aborted) {
      const ticket = w.queue[0]
      if (ticket === undefined || !this.o.cluster.isUp(w.peer)) {
        await sleep(IDLE_POLL_MS)
        continue
      }
      w.queue.shift()
      w.inFlight = true
      try {
        await this.write(w, ticket)
      } finally {
        w.inFlight = false
      }
      // Jitter (from the writer's stream) so that writers do not march in lock-step.
      await sleep(Math.floor(w.paceMs * (0.5 + w.rng.next())))
    }
  }

  private async write (w: Writer, t: Ticket): Promise<void> {
    const isCounter = w.rng.next() < COUNTER_SHARE
    const magnitude = 1 + w.rng.int(MAX_DELTA)
    const delta = isCounter ? (w.rng.next() < NEGATIVE_SHARE ? -magnitude : magnitude) : 0
    w.issued++
    const from = `p${w.peer}`
    const text = isCounter ? '' : `${this.o.runTag} p${w.peer} #${w.issued}`
    const op: WriteOp = {
      seq: this.ops.length,
      peer: w.peer,
      round: t.round,
      phase: t.phase,
      side: t.side,
      kind: isCounter ? 'counter' : 'chat',
      delta,
      from: isCounter ? '' : from,
      text,
      key: `${this.o.runTag}-p${w.peer}-${w.issued}`,
      attempts: [],
      outcome: 'pending',
      startedAt: Date.now()
    }
    this.ops.push(op)
    for (const wake of this.startWaiters.get(w.peer)?.splice(0) ?? []) wake()
    let target = w.peer
    for (let retry = 0; ; retry++) {
      const attempt = await this.attempt(op, target)
      op.attempts.push(attempt)
      if (attempt.outcome !== 'unknown' || retry >= MAX_RETRIES || this.stopped || this.o.signal.aborted) break
      await sleep(RETRY_PAUSE_MS * (retry + 1))
      // Its own peer if it is up, else any peer that is (drawn from the writer's stream).
      const up = this.o.cluster.up().map(n => n.index)
      if (up.length === 0) break
      target = up.includes(w.peer) && w.retryRng.next() < 0.5 ? w.peer : up[w.retryRng.int(up.length)] as number
    }
    op.outcome = combine(op.attempts)
    op.latencyMs = Date.now() - op.startedAt
    const last = op.attempts.at(-1)
    if (op.outcome !== 'ok' && last?.error !== undefined) op.error = last.error
  }

  /** One request of `op` to peer `target`, with the op's key. */
  private async attempt (op: WriteOp, target: number): Promise<Attempt> {
    const started = Date.now()
    const proc = this.o.cluster.node(target).proc
    // Killed between the check and here: nothing was sent.
    if (proc === undefined) return { peer: target, outcome: 'failed', error: 'peer down', latencyMs: 0 }
    const headers = { 'idempotency-key': op.key }
    const out: Outcome = op.kind === 'counter'
      ? await call(proc, 'POST', '/api/counter', { delta: op.delta }, WRITE_TIMEOUT_MS, headers)
      : await call(proc, 'POST', '/api/chat', { from: op.from, text: op.text }, WRITE_TIMEOUT_MS, headers)
    const latencyMs = Date.now() - started
    if (out.kind !== 'ok') return { peer: target, outcome: out.kind, error: out.error, latencyMs }
    if (op.kind === 'counter' ? !isCounterAnswer(out.body) : !isChatMessage(out.body)) {
      // A 200 that does not follow the contract: we cannot tell what happened.
      return { peer: target, outcome: 'unknown', error: `malformed answer ${JSON.stringify(out.body).slice(0, 120)}`, latencyMs }
    }
    if (op.kind === 'chat' && isChatMessage(out.body)) op.msgId = out.body.id
    return { peer: target, outcome: 'ok', latencyMs }
  }
}

function pace (spreadMs: number, queued: number): number {
  return Math.min(MAX_PACE_MS, Math.max(MIN_PACE_MS, Math.floor(spreadMs / Math.max(1, queued))))
}
