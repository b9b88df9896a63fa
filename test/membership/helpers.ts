/** Shared set-up for the membership simulator tests. */
import { expect } from 'vitest'
import { Channel } from '../../src/core/transport.js'
import { encodeSwim } from '../../src/membership/codec.js'
import type { SwimMessage } from '../../src/membership/codec.js'
import type { MemberUpdate } from '../../src/membership/member.js'
import { SimCluster } from '../../src/sim/index.js'
import type { SimClusterOptions } from '../../src/sim/index.js'

/** A cluster of `size` that has formed (everyone lists everyone alive), or the test fails. */
export function formed (size: number, seed: number, options: Partial<SimClusterOptions> = {}): SimCluster {
  const c = new SimCluster({ size, seed, ...options })
  expect(c.runUntilAll((_, ms) => ms.filter(m => m.state === 'alive').length === size, 60_000), `${size} members formed`).toBeDefined()
  return c
}

/** Delivers `msg` to `to` as if `from` had sent it (past the link model: a frame off the wire). */
export function inject (c: SimCluster, to: string, from: string, msg: SwimMessage): void {
  c.network.node(to).transport.receive(Channel.swim, from, encodeSwim(msg))
}

/** A gossip frame carrying `updates`, delivered to `to` as if `from` had sent it. */
export function forge (c: SimCluster, to: string, from: string, updates: MemberUpdate[]): void {
  inject(c, to, from, { type: 'gossip', gossip: updates })
}

/** Every running member other than `subject` lists `subject` in `state`. */
export function allSee (c: SimCluster, subject: string, state: string): boolean {
  return c.runningIds().every(o => o === subject || c.stateOf(o, subject) === state)
}

/** Who sees `subject` in a state other than `state`, as "observer: state" (for failure messages). */
export function notSeeing (c: SimCluster, subject: string, state: string): string[] {
  return c.runningIds().filter(o => o !== subject && c.stateOf(o, subject) !== state).map(o => `${o}: ${c.stateOf(o, subject) ?? 'absent'}`)
}
