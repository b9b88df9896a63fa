/**
 * `murmur` without a command, and `murmur help <command>`: usage errors are exit 2 with the usage on
 * stderr (the documented exit codes: 2 usage error), as git and Serf do for a bare invocation; help that
 * was asked for is stdout and exit 0.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { NODE, ROOT } from '../helpers/procs.js'
import { murmur } from './helpers.js'

const MURMUR = path.join(ROOT, 'dist', 'murmur.js')

describe('murmur usage', () => {
  test('no command: the usage on stderr, nothing on stdout, exit 2 (a script that forgot its command fails)', () => {
    const r = spawnSync(NODE, [MURMUR], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 })
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^Usage: murmur <command> \[options\]\n/)
  })

  test('--help, -h and help: the usage on stdout, exit 0', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = await murmur(args)
      expect(r.status, args.join(' ')).toBe(0)
      expect(r.stdout).toMatch(/^Usage: murmur <command> \[options\]\n/)
      expect(r.stderr).toBe('')
    }
  })

  test('help <command> is <command> --help; help of an unknown command is a usage error', async () => {
    for (const c of ['members', 'docs', 'keygen']) {
      const r = await murmur(['help', c])
      expect(r.status, c).toBe(0)
      expect(r.stdout).toBe((await murmur([c, '--help'])).stdout)
      expect(r.stdout).toMatch(new RegExp(`^Usage: murmur ${c}`))
    }
    const agent = spawnSync(NODE, [MURMUR, 'help', 'agent'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 })
    expect(agent.status).toBe(0)
    expect(agent.stdout).toMatch(/^Usage: murmur agent/)
    expect(await murmur(['help', 'frobnicate'])).toEqual({ status: 2, stdout: '', stderr: 'murmur: unknown command "frobnicate" (see murmur --help)\n' })
    expect((await murmur(['help', 'members', 'extra'])).status).toBe(2)
  })
})
