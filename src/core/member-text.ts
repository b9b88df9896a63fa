/**
 * What a member's own name and tags may hold, one rule for every way they are set: `--name`, `--tag`, their
 * `MURMUR_*` variables and config-file keys, `murmur tags set` (POST /tags), and the library's `name`,
 * `tags` and `setTags`. Text, not control characters (C0, DEL, C1: a newline, an escape, a NUL), nor bidi
 * controls (U+202E and the like: `murmur members` would show the rest of its line reversed, so one name
 * could pass for another), nor half a surrogate pair (UTF-8 cannot carry it: the other members would read
 * U+FFFD). Names and tags other members
 * chose still arrive with anything in them and are printed escaped (terminal-safe.ts); this peer's own are
 * refused at the source, with a message, instead of being gossiped and shown as `\u000a`.
 */
import { hasLoneSurrogate } from './codec.js'
import { ConfigError } from './errors.js'
import { BIDI_CONTROL, escapeControl as escaped, terminalSafeJson } from './terminal-safe.js'

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/** Why `text` cannot be a member name, tag key or tag value, or undefined when it can. */
export function memberTextProblem (text: string): string | undefined {
  const control = CONTROL.exec(text)?.[0]
  if (control !== undefined) return `holds a control character (${escaped(control)}): names and tags are printable text`
  const bidi = BIDI_CONTROL.exec(text)?.[0]
  if (bidi !== undefined) return `holds a bidirectional-text control (${escaped(bidi)}), which reorders how a terminal shows the line: names and tags are printable text`
  if (hasLoneSurrogate(text)) return 'holds half a surrogate pair, which UTF-8 cannot carry'
  return undefined
}

/** @throws ConfigError naming the first key or value of `tags` that memberTextProblem refuses, or an empty key. */
export function checkMemberTags (tags: Readonly<Record<string, string>>, option: string): void {
  for (const [key, value] of Object.entries(tags)) {
    // As --tag (`=v`: expected key=value) and POST /tags (keys of 1–64 characters) refuse it.
    if (key === '') throw new ConfigError(`${option}: a tag key cannot be empty`)
    const keyProblem = memberTextProblem(key)
    if (keyProblem !== undefined) throw new ConfigError(`${option} key ${terminalSafeJson(key)} ${keyProblem}`)
    const valueProblem = memberTextProblem(value)
    if (valueProblem !== undefined) throw new ConfigError(`${option}.${key} ${valueProblem}`)
  }
}

/** Whether two tag sets hold the same keys with the same values, in any order. */
export function sameTags (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every(k => Object.hasOwn(b, k) && a[k] === b[k])
}
