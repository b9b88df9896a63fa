/**
 * Continuous writes: every peer PUTs unique keys into one shared doc at a steady rate. A write counts as
 * acknowledged only on HTTP 200 (the API answers once the write is durable); everything else — the peer
 * is down, partitioned from nobody but slow, timed out — is an attempt that proves nothing. The ledger of
 * acknowledged writes is what the final check looks for on every peer.
 */
import { paced } from '../lib/paced.ts'
import type { Mesh, Slot } from './mesh.ts'

export const SOAK_DOC = 'soak'

export interface WriteValue { slot: string, n: number, at: number }

export class Writer {
  /** key → the value acknowledged for it (keys are unique: one acknowledged value each). */
  readonly acked = new Map<string, WriteValue>()
  readonly attempts = new Map<string, number>()
  readonly failures = new Map<string, number>()
  private running = false
  private loops: Array<Promise<void>> = []
  private readonly mesh: Mesh
  private readonly perSecond: number

  constructor (mesh: Mesh, perSecond: number) {
    this.mesh = mesh
    this.perSecond = perSecond
  }

  start (): void {
    this.running = true
    this.loops = this.mesh.slots.map(async s => { await this.loop(s) })
  }

  /** Stops issuing writes and waits for the ones in flight. */
  async stop (): Promise<void> {
    this.running = false
    await Promise.all(this.loops)
  }

  get totalAttempts (): number {
    return [...this.attempts.values()].reduce((a, b) => a + b, 0)
  }

  get totalFailures (): number {
    return [...this.failures.values()].reduce((a, b) => a + b, 0)
  }

  private async loop (slot: Slot): Promise<void> {
    // Keys count the writes sent: none while the slot's peer is down.
    let n = 0
    await paced(this.perSecond, () => this.running, async () => {
      if (slot.proc === undefined) return
      const key = `${slot.name}-${n++}`
      const value: WriteValue = { slot: slot.name, n, at: Date.now() }
      this.attempts.set(slot.name, (this.attempts.get(slot.name) ?? 0) + 1)
      try {
        const r = await this.mesh.api(slot, 'PUT', `/docs/${SOAK_DOC}/kv/${key}`, value)
        if (r.status === 200) this.acked.set(key, value)
        else this.fail(slot)
      } catch {
        this.fail(slot)
      }
    })
  }

  private fail (slot: Slot): void {
    this.failures.set(slot.name, (this.failures.get(slot.name) ?? 0) + 1)
  }
}

export function sleep (ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}
