/**
 * What a member's own name and tags may hold (src/core/member-text.ts). Bidi controls (U+202E
 * RIGHT-TO-LEFT OVERRIDE and the like) were taken, though the other control characters are refused: `murmur members`
 * escapes them, but the peer's own name and tags went out to every member with them, and the CLI's own
 * error message printed them raw.
 */
import { describe, expect, test } from 'vitest'
import { ConfigError } from '../../src/core/errors.js'
import { checkMemberTags, memberTextProblem } from '../../src/core/member-text.js'
import { hasTerminalControl } from '../../src/core/terminal-safe.js'
import { checkPeerOptions } from '../../src/peer-options.js'

const BIDI = ['\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069']

describe('memberTextProblem', () => {
  test('a bidi control is refused, named as an escape; other text, right-to-left scripts included, is taken', () => {
    for (const c of BIDI) {
      const problem = memberTextProblem(`admin${c}nimda`)
      expect(problem, c.charCodeAt(0).toString(16)).toBe(`holds a bidirectional-text control (\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}), which reorders how a terminal shows the line: names and tags are printable text`)
      expect(hasTerminalControl(problem as string)).toBe(false)
    }
    for (const ok of ['web-1', 'שלום', 'مرحبا', '東京 👩‍💻', 'a\u200db', 'zone=eu']) expect(memberTextProblem(ok), ok).toBeUndefined()
  })

  test('the rule every way they are set: checkMemberTags and createPeer\'s options refuse it, the message terminal-safe', () => {
    expect(() => { checkMemberTags({ role: 'db\u202ebd' }, 'tags') }).toThrow(ConfigError)
    expect(() => { checkMemberTags({ 'k\u2066': 'v' }, 'tags') }).toThrow(/^tags key "k\\u2066" holds a bidirectional-text control \(\\u2066\)/)
    let message = ''
    try {
      checkPeerOptions({ name: 'node\u202e1-bew' })
    } catch (err) {
      message = (err as Error).message
    }
    expect(message).toBe('name "node\\u202e1-bew" holds a bidirectional-text control (\\u202e), which reorders how a terminal shows the line: names and tags are printable text')
  })
})

