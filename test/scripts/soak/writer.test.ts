/**
 * The soak's ledger check (scripts/soak/writer.ts): with keys written over and over, a peer must hold the
 * last acknowledged value of each key or a later write of it, never an earlier one or another slot's.
 */
import { describe, expect, test } from 'vitest'
import { holdsWrite } from '../../../scripts/soak/writer.ts'

describe('holdsWrite', () => {
  const acked = { slot: 'p03', n: 7, at: 1_000 }

  test('the acknowledged value itself, or a later write of the key, holds it', () => {
    expect(holdsWrite({ ...acked }, acked)).toBe(true)
    expect(holdsWrite({ slot: 'p03', n: 8, at: 900 }, acked)).toBe(true)
  })

  test('missing, earlier, the same n with another time, or another slot\'s value: lost', () => {
    expect(holdsWrite(undefined, acked)).toBe(false)
    expect(holdsWrite({ slot: 'p03', n: 6, at: 1_000 }, acked)).toBe(false)
    expect(holdsWrite({ slot: 'p03', n: 7, at: 999 }, acked)).toBe(false)
    expect(holdsWrite({ slot: 'p04', n: 9, at: 1_000 }, acked)).toBe(false)
  })
})
