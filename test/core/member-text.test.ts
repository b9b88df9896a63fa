/**
 * What a member's own name and tags may hold (src/core/member-text.ts), and how many tags it may set
 * (src/peer-options.ts). Bidi controls (U+202E RIGHT-TO-LEFT OVERRIDE and the like) were taken, though
 * the other control characters are refused: `murmur members` escapes them, but the peer's own name and
 * tags went out to every member with them, and the CLI's own error message printed them raw.
 */
import { describe, expect, test } from 'vitest'
import { ConfigError } from '../../src/core/errors.js'
import { checkMemberTags, memberTextProblem } from '../../src/core/member-text.js'
import { hasTerminalControl } from '../../src/core/terminal-safe.js'
import { MAX_USER_TAGS, checkPeerOptions, tagCountProblem } from '../../src/peer-options.js'

const BIDI = ['\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069']

const tags = (n: number): Record<string, string> => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']))

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

describe('an empty tag key', () => {
  // Refused by --tag (`=v`) and POST /tags, but createPeer({ tags: { '': 'v' } }) and setTags took it.
  test('is refused every way tags are set', () => {
    expect(() => { checkMemberTags({ '': 'v' }, 'tags') }).toThrow(new ConfigError('tags: a tag key cannot be empty'))
    expect(() => { checkPeerOptions({ tags: { role: 'db', '': 'v' } }) }).toThrow(new ConfigError('tags: a tag key cannot be empty'))
    expect(() => { checkMemberTags({ k: '' }, 'tags') }).not.toThrow()
  })
})

describe('how many tags a member sets', () => {
  // A member description holds 32 tags, and a peer serving HTTP adds murmur.http (its API's address) when
  // there is room: given 32, it went without it, silently, and POST /tags answered "at most 32" to a
  // 32nd tag of the operator's 31.
  test('31 of the user\'s own, murmur.http (set by the peer, or by the user) on top', () => {
    expect(MAX_USER_TAGS).toBe(31)
    expect(tagCountProblem(tags(31))).toBeUndefined()
    expect(tagCountProblem({ ...tags(31), 'murmur.http': 'http://10.0.0.5:8080' })).toBeUndefined()
    expect(tagCountProblem(tags(32))).toBe('at most 31 tags, got 32 (a member has 32, and murmur.http, the peer\'s HTTP API address, which it adds itself, is the last)')
    expect(() => { checkPeerOptions({ tags: tags(32) }) }).toThrow(new ConfigError('tags: at most 31 tags, got 32 (a member has 32, and murmur.http, the peer\'s HTTP API address, which it adds itself, is the last)'))
    expect(() => { checkPeerOptions({ tags: tags(31) }) }).not.toThrow()
  })
})
