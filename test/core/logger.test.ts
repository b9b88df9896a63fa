/**
 * Log lines (src/core/logger.ts) carry values any client or member picks — doc names, member names, tags.
 * One holding an escape sequence used to reach the operator's terminal raw when the log was tailed: a
 * doc name `x\u001b]0;pwned\u0007` retitled the window. Such a value is now quoted with the character
 * escaped, as the operator CLI prints it (src/core/terminal-safe.ts).
 */
import { describe, expect, test } from 'vitest'
import { formatFields, streamSink } from '../../src/core/logger.js'

const TERMINAL_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/

describe('log fields', () => {
  test('plain values stay bare; spaces, quotes, = and empty strings are quoted as before', () => {
    expect(formatFields({ doc: 'notes', n: 3, ok: true })).toBe(' doc=notes n=3 ok=true')
    expect(formatFields({ a: 'two words', b: 'x=y', c: '', d: 'say "hi"' })).toBe(' a="two words" b="x=y" c="" d="say \\"hi\\""')
    expect(formatFields({ name: 'café ☕' })).toBe(' name="café ☕"')
  })

  test.each([
    ['an OSC title sequence', 'x\u001b]0;pwned\u0007'],
    ['a screen clear', '\u001b[2J\u001b[H'],
    ['a C1 control (CSI)', 'a\u009b31mred'],
    ['DEL', 'del\u007f'],
    ['a bidi override', 'evil\u202etxt.exe'],
    ['a newline forging a line', 'x\n2026-12-04T00:00:00.000Z INFO  membership member dead']
  ])('%s is quoted and escaped, and decodes back to the same value', (_what, value) => {
    let line = ''
    streamSink((l) => { line = l }, () => new Date(0))('info', 'replication', 'opened doc', { doc: value })
    expect(line.slice(0, -1)).not.toMatch(TERMINAL_CONTROLS)
    expect(line.endsWith('\n')).toBe(true)
    const quoted = /doc=(".*")$/.exec(line.slice(0, -1))?.[1]
    expect(quoted, line).toBeDefined()
    expect(JSON.parse(quoted as string)).toBe(value)
  })
})
