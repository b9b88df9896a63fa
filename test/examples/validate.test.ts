/**
 * The app's input checks (examples/chat-counter/validate.ts) as pure functions: what a chat POST may
 * carry. Bidirectional controls in a name reorder how it — and what follows it on its line — is shown.
 */
import { describe, expect, test } from 'vitest'
import { BadRequest, parseChatPost } from '../../examples/chat-counter/validate.ts'

/** Every Bidi_Control code point (Unicode 15: ALM, LRM, RLM, LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI). */
const BIDI = ['\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069']

describe('chat names', () => {
  test.each(BIDI.map(c => [`U+${c.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}`, c]))('a name with %s is refused: 400 invalid_body', (_, c) => {
    const post = (): unknown => parseChatPost({ from: `eve${c}gnp.exe`, text: 'hi' })
    expect(post).toThrow(BadRequest)
    expect(post).toThrow(/"from" must not contain bidirectional control characters/)
    try { post() } catch (err) { expect(err).toMatchObject({ status: 400, code: 'invalid_body' }) }
  })

  test('right-to-left names need no controls and are accepted; a message keeps its marks (its own paragraph)', () => {
    expect(parseChatPost({ from: ' דנה ', text: 'hi' })).toEqual({ from: 'דנה', text: 'hi' })
    expect(parseChatPost({ from: 'ليلى', text: 'hi' })).toEqual({ from: 'ليلى', text: 'hi' })
    expect(parseChatPost({ from: 'Ada', text: 'שלום\u200f, world' })).toEqual({ from: 'Ada', text: 'שלום\u200f, world' })
  })
})
