/**
 * Input checks of the app JSON API. Pure functions: every rejection is a BadRequest whose message is
 * what the client sees, so a bad request costs a 4xx and never reaches the document.
 */
import { HttpError } from '../../dist/index.js'

/** Limits, each with the reason for its size. */
export const LIMITS = {
  /** ±1,000,000 per request: plenty for a button, far from Number.MAX_SAFE_INTEGER after any realistic run. */
  maxDelta: 1_000_000,
  /** A display name, not an essay. */
  fromChars: 40,
  /** A chat line; a long paste is fine, a document is not (it would be replicated to every peer). */
  textChars: 2_000,
  /**
   * Largest request body: the longest valid message fits however its JSON is written — 4 bytes a
   * character in UTF-8, 12 as ASCII-only escapes (`\ud83d\ude00`, Python's json.dumps default): ~24.5 KB.
   */
  bodyBytes: 32 * 1024
} as const

/** A request body the app refuses: 400 with code `invalid_body` (the peer API's code for the same thing). */
export class BadRequest extends HttpError {
  constructor (message: string) {
    super(400, 'invalid_body', message)
  }
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `{"delta": n}` → n: a non-zero safe integer within ±LIMITS.maxDelta. */
export function parseDelta (body: unknown): number {
  const delta = isRecord(body) ? body.delta : undefined
  if (typeof delta !== 'number' || !Number.isSafeInteger(delta) || delta === 0 || Math.abs(delta) > LIMITS.maxDelta) {
    throw new BadRequest(`expected {"delta": n} with n a non-zero integer between -${LIMITS.maxDelta} and ${LIMITS.maxDelta}`)
  }
  return delta
}

// Control characters render as nothing or garbage; newlines and tabs are fine in a message, not in a name.
const CONTROL_IN_TEXT = /[\u0000-\u0008\u000b-\u001f\u007f]/
const CONTROL_IN_NAME = /[\u0000-\u001f\u007f]/
/**
 * Bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069): an override or embedding
 * in a name reorders how it is shown (`eve\u202Egnp.exe` shows as "eveexe.png") and, left open, the text
 * after it on the same line. A name needs none (right-to-left letters are ordered without them); a message
 * may (marks in mixed-direction text), and is shown as a paragraph of its own, which ends what it opened.
 */
export const BIDI_CONTROL = /\p{Bidi_Control}/u

/** Length in characters as people count them (code points), not UTF-16 units. */
function chars (s: string): number {
  let n = 0
  for (const _ of s) n++
  return n
}

function field (body: Record<string, unknown>, key: string, max: number, control: RegExp): string {
  const raw = body[key]
  if (typeof raw !== 'string') throw new BadRequest(`"${key}" must be a string`)
  const value = raw.trim()
  if (value.length === 0 || chars(value) > max) throw new BadRequest(`"${key}" must be 1–${max} characters`)
  if (control.test(value)) throw new BadRequest(`"${key}" must not contain control characters`)
  return value
}

/** `{"from", "text"}` → both trimmed, non-empty, within limits, without control characters (nor bidirectional ones in the name). */
export function parseChatPost (body: unknown): { from: string, text: string } {
  if (!isRecord(body)) throw new BadRequest('expected {"from": "<name>", "text": "<message>"}')
  const from = field(body, 'from', LIMITS.fromChars, CONTROL_IN_NAME)
  if (BIDI_CONTROL.test(from)) throw new BadRequest('"from" must not contain bidirectional control characters (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069): they reorder how a name is shown')
  return { from, text: field(body, 'text', LIMITS.textChars, CONTROL_IN_TEXT) }
}
