/**
 * An option before the command (`murmur --http-addr 127.0.0.1:8080 members`, the order `git -C` and
 * `kubectl --context` use) was `unknown command "--http-addr"`: nothing said the order was wrong. Now it
 * says the command comes first; still a usage error (exit 2), with nothing sent to any agent.
 */
import { describe, expect, test } from 'vitest'
import { murmur } from './helpers.js'

describe('murmur with an option before the command', () => {
  test.each([
    [['--http-addr', '127.0.0.1:1', 'members'], '--http-addr'],
    [['--json', 'members'], '--json'],
    [['-j'], '-j']
  ])('%j: exit 2, the command comes first', async (args, option) => {
    const r = await murmur(args)
    expect(r).toEqual({
      status: 2,
      stdout: '',
      stderr: `murmur: "${option}" is an option, not a command: the command comes first, its options after it (murmur members --http-addr <host:port>, murmur agent --listen <multiaddr>; see murmur --help)\n`
    })
  })

  test('an unknown word is still an unknown command', async () => {
    expect((await murmur(['frobnicate'])).stderr).toBe('murmur: unknown command "frobnicate" (see murmur --help)\n')
  })
})
