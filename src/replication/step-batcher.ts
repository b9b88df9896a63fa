/**
 * Batches per-doc anti-entropy steps bound for one peer into SyncBatch frames: a heal with a thousand
 * differing docs sends a few frames of steps instead of three thousand frames (which the receiver's
 * per-peer frame limit would throttle, then disconnect). Steps queued during one turn of the event loop
 * (one inbound frame, the loads it triggered, the durability callbacks that completed) go out together,
 * each frame within `budgetBytes`; a step too large for a frame goes alone, as a SyncDoc, chunked by the
 * link if it must be ("a doc too large for one frame is sent in parts").
 */
import type { Clock, Timer } from '../core/clock.js'
import type { PeerId } from '../core/transport.js'
import { stepBytes } from './codec.js'
import type { SyncDocMessage } from './codec.js'
import { SYNC_LIMITS } from './codec.js'
import type { ReplicatorCounters } from './stats.js'
import type { SyncLink } from './sync-link.js'

/** Envelope of a SyncBatch frame around its steps (frame type, field tags and lengths). */
const BATCH_ENVELOPE_BYTES = 16

export class StepBatcher {
  private readonly queues = new Map<PeerId, SyncDocMessage[]>()
  private timer: Timer | undefined

  constructor (
    private readonly link: SyncLink,
    private readonly clock: Clock,
    private readonly budgetBytes: number,
    private readonly counters: ReplicatorCounters
  ) {}

  push (to: PeerId, step: SyncDocMessage): void {
    let q = this.queues.get(to)
    if (q === undefined) {
      q = []
      this.queues.set(to, q)
    }
    q.push(step)
    if (step.step !== 'vector') {
      this.counters.diffsSent++
      this.counters.diffBytesSent += step.update.byteLength
    }
    this.timer ??= this.clock.setTimeout(() => { this.flush() }, 0)
  }

  /** Sends everything queued. */
  flush (): void {
    this.timer = undefined
    const queues = [...this.queues]
    this.queues.clear()
    for (const [to, steps] of queues) this.sendAll(to, steps)
  }

  clear (): void {
    this.timer?.cancel()
    this.timer = undefined
    this.queues.clear()
  }

  private sendAll (to: PeerId, steps: readonly SyncDocMessage[]): void {
    let batch: SyncDocMessage[] = []
    let bytes = BATCH_ENVELOPE_BYTES
    const send = (): void => {
      if (batch.length === 1) this.link.send(to, batch[0] as SyncDocMessage)
      else if (batch.length > 1) {
        this.link.send(to, { type: 'syncBatch', steps: batch })
        this.counters.batchesSent++
      }
      batch = []
      bytes = BATCH_ENVELOPE_BYTES
    }
    for (const step of steps) {
      const size = stepBytes(step)
      if (size + BATCH_ENVELOPE_BYTES > this.budgetBytes) {
        // Too large to share a frame: alone (the link chunks it).
        this.link.send(to, step)
        continue
      }
      if (bytes + size > this.budgetBytes || batch.length >= SYNC_LIMITS.stepsPerBatch) send()
      batch.push(step)
      bytes += size
    }
    send()
  }
}
