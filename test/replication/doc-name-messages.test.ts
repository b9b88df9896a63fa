/**
 * A doc name refused says why in a person's words, to a library caller and, through the HTTP API's reads, to
 * a client. It said the wire codec's: "name: 300 chars exceeds 256", "name: control character in document
 * name". And a JavaScript caller's number passed as a name was taken for one.
 */
import { describe, expect, test } from 'vitest'
import { assertDocName } from '../../src/replication/doc-registry.js'

function refusal (name: unknown): string {
  try {
    assertDocName(name as string)
  } catch (err) {
    expect(err).toMatchObject({ name: 'InvalidDocNameError' })
    return (err as Error).message
  }
  return 'accepted'
}

describe('a refused doc name', () => {
  test('says what is wrong with it', () => {
    expect(refusal('')).toBe('a doc name cannot be empty')
    expect(refusal('a'.repeat(300))).toBe('a doc name has at most 256 characters; this one has 300')
    expect(refusal('ab\u0000c')).toBe('doc name "ab\\u0000c" holds a control character at character 3')
    expect(refusal('x\ud800')).toBe('doc name "x\\ud800" is not valid Unicode (a lone surrogate)')
    expect(refusal(42)).toBe('a doc name is a string, not number')
    expect(refusal(null)).toBe('a doc name is a string, not null')
  })

  test('and names that are fine pass', () => {
    for (const ok of ['a', 'notes/2026', 'ünïcødé 🎉', 'a'.repeat(256), '../x']) expect(refusal(ok)).toBe('accepted')
  })
})
