/**
 * ChannelClash tells two processes with one identity (frames of one channel alternating between two open
 * connections) from one process moving to a new connection (one switch, maybe a trailing frame or two).
 */
import type { Connection } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import { ChannelClash } from '../../src/net/identity-clash.js'

function conn (status: 'open' | 'closed' = 'open'): Connection {
  return { status } as unknown as Connection
}

const LIMITS = { switches: 4, windowMs: 10_000 }

describe('ChannelClash', () => {
  it('one process moving to a new connection is no clash, trailing frames of the old one included', () => {
    const c = new ChannelClash(LIMITS)
    const old = conn()
    const fresh = conn()
    const seen: unknown[] = []
    let t = 0
    for (let i = 0; i < 20; i++) seen.push(c.note(old, t += 100))
    // The move, one trailing frame on the old stream, then only the new one.
    seen.push(c.note(fresh, t += 10), c.note(old, t += 10), c.note(fresh, t += 10))
    for (let i = 0; i < 50; i++) seen.push(c.note(fresh, t += 100))
    expect(seen.every(x => x === undefined)).toBe(true)
  })

  it('a process that keeps redialling (each connection closed before the next carries frames) is no clash', () => {
    const c = new ChannelClash(LIMITS)
    let t = 0
    const seen: unknown[] = []
    for (let i = 0; i < 20; i++) {
      const current = { status: 'open' } as { status: string }
      for (let k = 0; k < 3; k++) seen.push(c.note(current as unknown as Connection, t += 100))
      current.status = 'closed'
    }
    expect(seen.every(x => x === undefined)).toBe(true)
  })

  it('two processes alternating on two open connections clash within a few of their frames', () => {
    const c = new ChannelClash(LIMITS)
    const original = conn()
    const copy = conn()
    let t = 0
    let clash: readonly [Connection, Connection] | undefined
    let frames = 0
    // The original pings every second; the copy retries its join every 2 s.
    while (clash === undefined && t < 20_000) {
      t += 1000
      frames++
      clash = c.note(original, t)
      if (clash === undefined && t % 2000 === 0) clash = c.note(copy, t + 1)
    }
    expect(clash).toBeDefined()
    expect(new Set(clash)).toEqual(new Set([original, copy]))
    expect(t).toBeLessThanOrEqual(6_000)
    expect(frames).toBeGreaterThan(1)
  })

  it('switches spread wider than the window do not add up', () => {
    const c = new ChannelClash(LIMITS)
    const a = conn()
    const b = conn()
    const seen: unknown[] = []
    for (let i = 0; i < 20; i++) seen.push(c.note(i % 2 === 0 ? a : b, i * 4_000))
    expect(seen.every(x => x === undefined)).toBe(true)
  })
})
