/**
 * Applies a planned Fault and heals it. Partitions go through a PartitionDriver: each peer's
 * `/admin/partition` (default), or real cut links in a network-namespace lab (`--netns`). Kills are
 * SIGKILL + restart with the same data dir, the same in both modes.
 *
 * What "asymmetric" means here. A grudge A↛B is "A drops what it sends to B":
 *  - netns: a blackhole route in A's namespace. Only A→B packets vanish; B→A packets arrive. Over TCP that
 *    is still nearly a full cut: B's SYNs reach A but A's SYN-ACKs vanish, so no new connection forms either
 *    way; on an open connection B's data reaches A's application but A's ACKs never return, so B retransmits
 *    until it gives up and A's replies never arrive. What stays asymmetric is timing and knowledge (B's
 *    bytes trickle into A until B's connection dies), which is what exercises indirect probes and refutation.
 *  - admin: only A calls `/admin/partition {"block":[B]}`. murmur's block drops both directions on A's side
 *    (gater refuses dials and connections, frames from B are dropped), while B still tries to reach A and
 *    blames A. So the cut is symmetric on the wire but one-sided in who acts: B keeps dialling and gossiping
 *    about A; A just ignores B. Third parties can reach both, so indirect probes keep both alive.
 */
import type { NetnsLab } from '../lib/netns.ts'
import { sleep } from '../lib/peers.ts'
import { call } from './client.ts'
import type { Cluster } from './cluster.ts'
import type { Fault } from './faults.ts'

/** An admin call answers within this, or the fault could not be applied (a bug or a wedged peer). */
const ADMIN_TIMEOUT_MS = 5_000

export interface PartitionDriver {
  readonly name: string
  /** Cuts the peers into groups that cannot reach each other. */
  split(groups: readonly number[][]): Promise<void>
  /** Each [from, to]: `from` drops traffic to `to` (see the file comment for what that means). */
  grudge(pairs: ReadonlyArray<readonly [number, number]>): Promise<void>
  /** Everybody can reach everybody again. */
  heal(): Promise<void>
}

export class AdminDriver implements PartitionDriver {
  readonly name = 'admin'
  private readonly cluster: Cluster

  constructor (cluster: Cluster) {
    this.cluster = cluster
  }

  async split (groups: readonly number[][]): Promise<void> {
    await Promise.all(this.cluster.up().map(async (n) => {
      const mine = groups.find(g => g.includes(n.index)) ?? []
      const block = this.cluster.nodes.filter(m => !mine.includes(m.index)).map(m => m.id)
      await this.admin(n.index, 'POST', { block })
    }))
  }

  async grudge (pairs: ReadonlyArray<readonly [number, number]>): Promise<void> {
    const byFrom = new Map<number, string[]>()
    for (const [from, to] of pairs) byFrom.set(from, [...(byFrom.get(from) ?? []), this.cluster.node(to).id])
    await Promise.all([...byFrom].filter(([from]) => this.cluster.isUp(from)).map(async ([from, block]) => { await this.admin(from, 'POST', { block }) }))
  }

  async heal (): Promise<void> {
    await Promise.all(this.cluster.up().map(async (n) => { await this.admin(n.index, 'DELETE', undefined) }))
  }

  private async admin (i: number, method: string, body: unknown): Promise<void> {
    const out = await call(this.cluster.proc(i), method, '/admin/partition', body, ADMIN_TIMEOUT_MS)
    if (out.kind === 'ok') return
    // A peer that crashed refuses the connection: say so, not "fault injection" (whose absence is a 404).
    this.cluster.assertNoCrash()
    throw new Error(`${method} /admin/partition on peer ${i}: ${out.error}${out.error.startsWith('HTTP 404') ? ' (is fault injection enabled?)' : ''}`)
  }
}

export class NetnsDriver implements PartitionDriver {
  readonly name = 'netns'
  private readonly lab: NetnsLab

  constructor (lab: NetnsLab) {
    this.lab = lab
  }

  async split (groups: readonly number[][]): Promise<void> { this.lab.split(groups) }

  async grudge (pairs: ReadonlyArray<readonly [number, number]>): Promise<void> {
    for (const [from, to] of pairs) this.lab.grudge(from, to)
  }

  async heal (): Promise<void> { this.lab.heal() }
}

/** A kill waits at most this long for a victim's next write, so that it lands mid-request. */
const KILL_WRITE_WAIT_MS = 1_500

/** Resolves when `peer` starts its next write (true), or false after `timeoutMs`. */
export type WriteStartWatch = (peer: number, timeoutMs: number) => Promise<boolean>

export class Nemesis {
  private readonly cluster: Cluster
  private readonly driver: PartitionDriver
  private readonly writeStarted: WriteStartWatch

  constructor (cluster: Cluster, driver: PartitionDriver, writeStarted: WriteStartWatch) {
    this.cluster = cluster
    this.driver = driver
    this.writeStarted = writeStarted
  }

  async apply (f: Fault): Promise<void> {
    switch (f.kind) {
      case 'halves':
      case 'isolate-one':
        await this.driver.split(f.groups)
        break
      case 'grudges':
        await this.driver.grudge(f.grudges)
        break
      case 'kill':
        // afterMs into the fault, at the moment a victim sends a write: SIGKILL lands with that request in
        // flight (or just before it connects), the case where "acknowledged" and "durable" must coincide.
        await sleep(f.afterMs)
        await Promise.race(f.victims.map(async (i) => await this.writeStarted(i, KILL_WRITE_WAIT_MS)))
        if (f.inFlightMs > 0) await sleep(f.inFlightMs)
        await Promise.all(f.victims.map(async (i) => { await this.cluster.kill(i) }))
        break
    }
  }

  /** Heals the network, then restarts killed peers (so they rejoin a whole network). */
  async heal (f: Fault): Promise<void> {
    await this.driver.heal()
    if (f.kind === 'kill') {
      // One at a time: each restarted peer then finds the previous one up and bootstraps through it too.
      for (const i of f.victims) await this.cluster.restart(i)
    }
  }
}
