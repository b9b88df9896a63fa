/**
 * A bounded number of connection handshakes at once, per direction, the rest waiting in line (issue 14).
 *
 * A Noise XX handshake costs each end a few milliseconds of CPU (three Diffie-Hellman operations and an
 * Ed25519 signature check), and Node interleaves every handshake in progress with everything else its one
 * thread does. After a partition heals, a peer is asked for and starts dozens at once: each then takes as
 * long as all of them together, they overrun their deadline together, are abandoned and retried — work
 * thrown away and done again — and the probes and acks waiting between their steps arrive late enough to
 * make healthy members suspects. With a few at a time, each finishes in its own few milliseconds, the
 * ones in line start their deadline only when their turn comes, and the event loop stays free between
 * them. Excess handshakes wait (bounded by `maxQueued`; past it they are refused), they are not failed.
 *
 * Callback-based and synchronous, so that the deterministic simulator (src/sim) runs the same code as the
 * libp2p transport (src/net): a freed slot is handed to the next in line within the `release` call.
 */

/** Our own dials' handshakes in progress at once, before others wait in line. */
export const DEFAULT_MAX_CONCURRENT_HANDSHAKES = 2
/**
 * Inbound handshakes in progress at once. A connection takes its place in line only once the remote has
 * sent its first bytes (src/net/inbound-admission.ts): a silent socket costs no CPU, and must not hold a
 * slot — a few of them, renewed every few seconds by anyone who can reach the port, would otherwise lock
 * every peer out (test/hostile/overflow.test.ts).
 */
export const DEFAULT_MAX_CONCURRENT_INBOUND_HANDSHAKES = 2
/** Handshakes waiting for a slot, per direction; past it a new one is refused at once (counted). */
export const DEFAULT_MAX_QUEUED_HANDSHAKES = 256

/** A place in line, or a granted slot: `cancel` leaves the line, or frees the slot. Idempotent. */
export interface SlotTicket {
  cancel(): void
}

interface Waiter {
  /** Takes the slot; undefined once the waiter got it or left the line. */
  start: (() => void) | undefined
}

export class HandshakeSlots {
  private active = 0
  private waiting = 0
  private readonly line: Waiter[] = []
  private head = 0

  constructor (readonly limit: number, readonly maxQueued: number) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`handshake slots: limit must be a positive integer, got ${limit}`)
    if (!Number.isSafeInteger(maxQueued) || maxQueued < 0) throw new RangeError(`handshake slots: maxQueued must be an integer ≥ 0, got ${maxQueued}`)
  }

  /** Handshakes holding a slot. */
  get inProgress (): number {
    return this.active
  }

  /** Handshakes waiting in line. */
  get queued (): number {
    return this.waiting
  }

  /**
   * Calls `granted(release)` once a slot is free — at once if one is — and returns the ticket; `release`
   * (or `ticket.cancel()`) frees the slot. Returns undefined, without calling `granted`, if the line is full.
   */
  acquire (granted: (release: () => void) => void): SlotTicket | undefined {
    let release: (() => void) | undefined
    const grant = (): void => {
      this.active++
      let freed = false
      release = () => {
        if (freed) return
        freed = true
        this.active--
        this.next()
      }
      granted(release)
    }
    const waiter: Waiter = { start: undefined }
    const ticket: SlotTicket = {
      cancel: () => {
        if (release !== undefined) release()
        else if (waiter.start !== undefined) {
          // Still in line: leave it (skipped when its turn comes).
          waiter.start = undefined
          this.waiting--
        }
      }
    }
    if (this.active < this.limit && this.waiting === 0) {
      grant()
      return ticket
    }
    if (this.waiting >= this.maxQueued) return undefined
    waiter.start = grant
    this.line.push(waiter)
    this.waiting++
    return ticket
  }

  /** Hands free slots to the next in line, first come first served. */
  private next (): void {
    while (this.active < this.limit && this.head < this.line.length) {
      const w = this.line[this.head++] as Waiter
      const start = w.start
      if (start === undefined) continue
      w.start = undefined
      this.waiting--
      start()
    }
    if (this.head === this.line.length) {
      this.line.length = 0
      this.head = 0
    } else if (this.head > 64 && this.head * 2 > this.line.length) {
      this.line.splice(0, this.head)
      this.head = 0
    }
  }
}
