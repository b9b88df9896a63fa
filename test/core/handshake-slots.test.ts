import { describe, expect, it } from 'vitest'
import { HandshakeSlots } from '../../src/core/handshake-slots.js'

describe('HandshakeSlots', () => {
  it('grants up to the limit at once, queues the rest first come first served, and hands a freed slot on', () => {
    const slots = new HandshakeSlots(2, 10)
    const granted: string[] = []
    const releases = new Map<string, () => void>()
    for (const name of ['a', 'b', 'c', 'd']) slots.acquire((release) => { granted.push(name); releases.set(name, release) })
    expect(granted).toEqual(['a', 'b'])
    expect([slots.inProgress, slots.queued]).toEqual([2, 2])
    releases.get('b')?.()
    releases.get('b')?.() // idempotent
    expect(granted).toEqual(['a', 'b', 'c'])
    expect([slots.inProgress, slots.queued]).toEqual([2, 1])
  })

  it('lets a waiter leave the line, and refuses past maxQueued', () => {
    const slots = new HandshakeSlots(1, 2)
    const granted: string[] = []
    let releaseA: (() => void) | undefined
    slots.acquire((release) => { granted.push('a'); releaseA = release })
    const b = slots.acquire(() => { granted.push('b') })
    slots.acquire(() => { granted.push('c') })
    expect(slots.acquire(() => { granted.push('d') })).toBeUndefined()
    b?.cancel()
    expect(slots.queued).toBe(1)
    releaseA?.()
    expect(granted).toEqual(['a', 'c'])
    expect([slots.inProgress, slots.queued]).toEqual([1, 0])
  })

  it('rejects a limit below one', () => {
    expect(() => new HandshakeSlots(0, 1)).toThrow(RangeError)
  })
})
