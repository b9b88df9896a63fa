/**
 * Text from the mesh made safe to print on a terminal. Member names, tags and doc names are set by any
 * member or client; printed raw (by the operator CLI, or in a peer's log that an operator tails), their
 * control characters could move the cursor, clear the screen, retitle the window or forge a line. They
 * are written as `\u001b`-style escapes instead.
 */

import { displayWidth } from './display-width.js'

/** Characters that reorder a line: the bidi controls (marks, embeddings, overrides, isolates), as a class body. */
const BIDI = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069'
/** A bidi control: text holding one can show on a terminal in another order than it holds (`abc\u202ecba`). */
export const BIDI_CONTROL = new RegExp(`[${BIDI}]`)
/** Characters a terminal acts on (C0, DEL, C1: cursor moves, colours, window titles) or that reorder a line (bidi controls). */
const TERMINAL_CONTROLS = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${BIDI}]`)
const TERMINAL_CONTROLS_ALL = new RegExp(TERMINAL_CONTROLS.source, 'g')
/** The same, but for JSON.stringify's output, whose C0 characters are escaped already and whose newlines are layout. */
const JSON_UNESCAPED_CONTROLS = new RegExp(`[\\u007f-\\u009f${BIDI}]`, 'g')
/** `c` as a `\u` escape (`\u001b`). */
export const escapeControl = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`

/** The characters a kv key set, or the name of a doc created, by a client may not hold: C0, DEL and C1 (newline, ESC, NUL, CSI, …). */
const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f]/

/** Where `text` holds its first C0, DEL or C1 character, as a message says it (`(\u009b) at character 3`; characters, not UTF-16 units); undefined if none. */
export function controlCharIn (text: string): string | undefined {
  const at = CONTROL_CHAR.exec(text)
  return at === null ? undefined : `(${escapeControl(at[0])}) at character ${[...text.slice(0, at.index)].length + 1}`
}

/** Whether `text` holds a character a terminal acts on. */
export function hasTerminalControl (text: string): boolean {
  return TERMINAL_CONTROLS.test(text)
}

/** `text` with each character a terminal acts on written as a `\u` escape. */
export function terminalSafe (text: string): string {
  return text.replace(TERMINAL_CONTROLS_ALL, escapeControl)
}

/** JSON for the terminal: the same value (a `\u` escape in a JSON string is the character), nothing a terminal acts on. */
export function terminalSafeJson (value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(JSON_UNESCAPED_CONTROLS, escapeControl)
}

/** Spaces or invisible characters (format characters: U+200B, U+FEFF, …) at either end, other whitespace than U+0020, or a run of spaces. */
const UNCLEAR_SPACING = /^[\s\p{Cf}]|[\s\p{Cf}]$|[^\S ]| {2}/u

/**
 * A name for a table cell, shown so that two names never look alike: as it is when that is plain, else as a
 * JSON string (`" "`, `"a\u001bb"`). Plain means visible, with no space at either end or run of spaces (a
 * table's columns are two spaces apart), no character terminalSafe would escape (a name holding ESC and one
 * holding the six characters `\u001b` both showed `\u001b`), and no leading `"` (which starts a quoted one).
 */
export function unambiguousName (name: string): string {
  const plain = name !== '' && !name.startsWith('"') && !UNCLEAR_SPACING.test(name) && !hasTerminalControl(name) && displayWidth(name) > 0
  return plain ? name : terminalSafeJson(name)
}
