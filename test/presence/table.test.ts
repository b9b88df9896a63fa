/**
 * PresenceTable: y-protocols' awareness rules (a higher clock wins; an equal clock only removes), plus the
 * mesh additions — owners, owner refreshes, dropping an owner without tombstones, expiry, limits.
 */
import { describe, expect, it } from 'vitest'
import { PresenceTable } from '../../src/presence/table.js'

const LIMITS = { maxDocs: 4, maxEntriesPerDoc: 8 }
const s = (x: unknown): string => JSON.stringify(x)

describe('PresenceTable: y-protocols awareness rules (applyAwarenessUpdate)', () => {
  const table = (): PresenceTable => new PresenceTable(LIMITS)

  it.each([
    // [held clock, held state?, incoming clock, incoming state?, applied?]
    ['higher clock replaces', 3, true, 4, true, true],
    ['equal clock with a state is ignored', 3, true, 3, true, false],
    ['lower clock is ignored', 3, true, 2, true, false],
    ['equal clock removal removes a present state', 3, true, 3, false, true],
    ['lower clock removal is ignored', 3, true, 2, false, false],
    ['a tombstone blocks an older state', 3, false, 2, true, false],
    ['a tombstone blocks the same clock', 3, false, 3, true, false],
    ['a newer state passes a tombstone', 3, false, 4, true, true]
  ] as const)('%s', (_name, heldClock, heldPresent, clock, present, applied) => {
    const t = table()
    t.apply('d', 'p', [{ clientId: 1, clock: heldClock, state: s({ v: 'held' }) }], 0)
    if (!heldPresent) t.apply('d', 'p', [{ clientId: 1, clock: heldClock, state: null }], 0)
    const { changes } = t.apply('d', 'q', [{ clientId: 1, clock, state: present ? s({ v: 'new' }) : null }], 1)
    expect(changes.length === 1).toBe(applied)
    if (applied) expect(t.get('d', 1)).toMatchObject({ clock, owner: 'q', state: present ? s({ v: 'new' }) : null })
  })

  it('an unknown client needs clock > 0 (y-protocols\' initial {} at clock 0 is not shown)', () => {
    const t = table()
    expect(t.apply('d', 'p', [{ clientId: 1, clock: 0, state: s({}) }], 0).changes).toEqual([])
    expect(t.apply('d', 'p', [{ clientId: 1, clock: 1, state: s({ a: 1 }) }], 0).changes).toHaveLength(1)
  })

  it('an equal-clock refresh from the owner keeps the state fresh; from anyone else it does not', () => {
    const t = table()
    t.apply('d', 'p', [{ clientId: 1, clock: 5, state: s(1) }], 0)
    t.apply('d', 'q', [{ clientId: 1, clock: 5, state: s(1) }], 20_000)
    expect(t.expire(30_000, 30_000).get('d')).toEqual([{ clientId: 1, clock: 5, state: null, owner: 'p' }])
    const u = table()
    u.apply('d', 'p', [{ clientId: 1, clock: 5, state: s(1) }], 0)
    u.apply('d', 'p', [{ clientId: 1, clock: 5, state: s(1) }], 20_000)
    expect(u.expire(30_000, 30_000).size).toBe(0)
    expect(u.expire(50_000, 30_000).get('d')).toHaveLength(1)
  })

  it('expiry leaves a tombstone with the same clock, forgotten after another timeout', () => {
    const t = table()
    t.apply('d', 'p', [{ clientId: 1, clock: 5, state: s(1) }], 0)
    t.expire(30_000, 30_000)
    expect(t.get('d', 1)).toMatchObject({ clock: 5, state: null })
    expect(t.apply('d', 'p', [{ clientId: 1, clock: 5, state: s(1) }], 31_000).changes).toEqual([]) // a late copy stays out
    t.expire(60_000, 30_000)
    expect(t.get('d', 1)).toBeUndefined()
    expect(t.size).toBe(0)
  })

  it('dropping an owner removes its states without tombstones: its next refresh is taken at once', () => {
    const t = table()
    t.apply('d', 'p', [{ clientId: 1, clock: 5, state: s(1) }, { clientId: 2, clock: 1, state: s(2) }], 0)
    t.apply('d', 'q', [{ clientId: 3, clock: 1, state: s(3) }], 0)
    const dropped = t.dropOwner('p')
    expect(dropped.get('d')?.map(c => c.clientId).sort()).toEqual([1, 2])
    expect(t.states('d').map(e => e.clientId)).toEqual([3])
    expect(t.apply('d', 'p', [{ clientId: 1, clock: 5, state: s(1) }], 1).changes).toHaveLength(1)
  })

  it('limits: docs and entries per doc; refused entries are counted, nothing else changes', () => {
    const t = table()
    for (let d = 0; d < LIMITS.maxDocs; d++) t.apply(`d${d}`, 'p', [{ clientId: 1, clock: 1, state: s(1) }], 0)
    expect(t.apply('one-too-many', 'p', [{ clientId: 1, clock: 1, state: s(1) }], 0)).toEqual({ changes: [], refused: 1 })
    const entries = Array.from({ length: LIMITS.maxEntriesPerDoc + 3 }, (_, i) => ({ clientId: 100 + i, clock: 1, state: s(i) }))
    const r = t.apply('d0', 'p', entries, 0)
    expect(r.refused).toBe(4) // d0 held one already
    expect(t.states('d0')).toHaveLength(LIMITS.maxEntriesPerDoc)
  })
})
