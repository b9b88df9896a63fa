/**
 * A `--config` file must be UTF-8: one saved as Latin-1 (an editor's default on some systems) was decoded
 * with U+FFFD in place of what it could not read, and the peer ran as "caf\uFFFD" without a word.
 */
import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, openSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, test } from 'vitest'
import { parseArgs } from '../../src/cli/args.js'
import { firstNonUtf8Byte } from '../../src/cli/settings.js'
import { NODE, PEER_JS, ROOT, cleanup, tempDir } from '../helpers/procs.js'

const bytes = (...parts: Array<string | number[]>): Uint8Array => Buffer.concat(parts.map(p => typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)))

const parseFile = (content: Uint8Array): ReturnType<typeof parseArgs> => parseArgs(['--config', 'm.json'], {}, { readFile: () => content })

describe('parseArgs: a --config file that is not UTF-8', () => {
  test.each([
    ['Latin-1 é', bytes('{"name": "caf', [0xe9], '"}'), 13, 'e9'],
    ['a lone continuation byte', bytes('{"name": "', [0x80], '"}'), 10, '80'],
    ['an overlong /', bytes('{"name": "a', [0xc0, 0xaf], '"}'), 11, 'c0'],
    ['a UTF-16 surrogate in UTF-8', bytes('{"name": "é', [0xed, 0xa0, 0x80], '"}'), 12, 'ed'],
    ['a sequence cut off at the end', bytes('{"name": "x"}', [0xe2, 0x82]), 13, 'e2'],
    ['UTF-16 (a BOM of FF FE)', bytes([0xff, 0xfe], '{'), 0, 'ff']
  ])('%s is refused in one line naming the file, the byte and its offset', (_what, content, offset, byte) => {
    expect(parseFile(content)).toEqual({ kind: 'error', message: `m.json: not valid UTF-8 (byte 0x${byte} at byte offset ${offset}): save it as UTF-8` })
  })

  test('UTF-8 is read as written: two-, three- and four-byte characters, and a byte order mark', () => {
    expect(parseFile(bytes('{"name": "café ☕ 🐝"}'))).toMatchObject({ kind: 'run', options: { name: 'café ☕ 🐝' } })
    expect(parseFile(bytes([0xef, 0xbb, 0xbf], '{"name": "bom"}'))).toMatchObject({ kind: 'run', options: { name: 'bom' } })
  })

  test('the offset given is where the first ill-formed sequence starts, for any bytes TextDecoder refuses', () => {
    const high = fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0x80, max: 0xff }), fc.constantFrom(0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0x80, 0xbf))
    fc.assert(fc.property(fc.array(high, { maxLength: 12 }), (arr) => {
      const b = Uint8Array.from(arr)
      let valid = true
      try { new TextDecoder('utf-8', { fatal: true }).decode(b) } catch { valid = false }
      const at = firstNonUtf8Byte(b)
      if (valid) return at === undefined
      // Everything before the offset decodes; the bytes from it cannot start a well-formed sequence.
      if (at === undefined) return false
      new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(0, at))
      const rest = b.subarray(at)
      return [1, 2, 3, 4].every(n => { try { new TextDecoder('utf-8', { fatal: true }).decode(rest.subarray(0, n)); return n > rest.length } catch { return true } })
    }), { numRuns: 3000 })
  })
})

describe('the peer process', () => {
  afterAll(cleanup)

  test('refuses a Latin-1 --config at once (exit 2), in one line naming it and the offset, before it opens anything', () => {
    const dataDir = tempDir()
    const file = path.join(tempDir(), 'latin1.json')
    writeFileSync(file, bytes(`{"name": "caf`, [0xe9], `", "no-http": true, "listen": ["/ip4/127.0.0.1/tcp/0"], "data-dir": ${JSON.stringify(dataDir)}}`))
    for (const [args, input, shown] of [[['--config', file], undefined, file], [['--config', '-'], file, 'standard input (--config -)']] as const) {
      // Standard input redirected from the file (`< latin1.json`).
      const stdin = input === undefined ? 'ignore' : openSync(input, 'r')
      const r = spawnSync(NODE, [PEER_JS, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 10_000, stdio: [stdin, 'pipe', 'pipe'] })
      if (typeof stdin === 'number') closeSync(stdin)
      expect(r.status, args.join(' ')).toBe(2)
      expect(r.stderr).toBe(`murmur: ${shown}: not valid UTF-8 (byte 0xe9 at byte offset 13): save it as UTF-8\n`)
      expect(existsSync(path.join(dataDir, 'peer.key'))).toBe(false)
    }
  })
})
