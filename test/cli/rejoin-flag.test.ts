/** --no-rejoin: the flag, its environment variable and config-file key, --help, and the library option it sets. */
import { describe, expect, test } from 'vitest'
import { HELP, parseArgs } from '../../src/cli/args.js'
import { ConfigError } from '../../src/core/errors.js'
import { checkPeerOptions } from '../../src/peer-options.js'

describe('--no-rejoin', () => {
  test('rejoining is on by default; the flag, MURMUR_NO_REJOIN and the file\'s "no-rejoin" turn it off', () => {
    expect(parseArgs([])).toMatchObject({ kind: 'run', options: { rejoin: true } })
    expect(parseArgs(['--no-rejoin'])).toMatchObject({ kind: 'run', options: { rejoin: false } })
    expect(parseArgs([], { MURMUR_NO_REJOIN: 'true' })).toMatchObject({ kind: 'run', options: { rejoin: false } })
    expect(parseArgs(['--config', 'm.json'], {}, { readFile: () => '{"no-rejoin": true}' })).toMatchObject({ kind: 'run', options: { rejoin: false } })
    expect(parseArgs(['--config', 'm.json'], {}, { readFile: () => '{"no-rejoin": false}' })).toMatchObject({ kind: 'run', options: { rejoin: true } })
    expect(parseArgs(['--config', 'm.json'], {}, { readFile: () => '{"no-rejoin": "yes"}' })).toMatchObject({ kind: 'error', message: 'm.json: "no-rejoin": expected true or false' })
  })

  test('--help names it', () => {
    expect(HELP).toMatch(/--no-rejoin {16}do not remember the members last seen alive/)
  })

  test('the library option is a boolean', () => {
    expect(() => { checkPeerOptions({ rejoin: false }) }).not.toThrow()
    expect(() => { checkPeerOptions({ rejoin: 'no' as unknown as boolean }) }).toThrow(new ConfigError('rejoin must be true or false, got "no"'))
  })
})
