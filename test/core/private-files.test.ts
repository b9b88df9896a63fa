/** ensurePrivateDir (src/core/private-files.ts): the data dir ends owner-only, and gains no permission on the way. */
import { chmod, mkdir, mkdtemp, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { createLogger, streamSink } from '../../src/core/logger.js'
import { ensurePrivateDir } from '../../src/core/private-files.js'

async function modeAfter (initial: number): Promise<{ mode: number, log: string }> {
  const dir = path.join(await mkdtemp(path.join(tmpdir(), 'murmur-private-')), 'data')
  await mkdir(dir)
  await chmod(dir, initial) // mkdir's mode is filtered by the umask
  let log = ''
  await ensurePrivateDir(dir, createLogger(streamSink((line) => { log += line }), 'info'))
  return { mode: (await stat(dir)).mode & 0o777, log }
}

describe('ensurePrivateDir', () => {
  it('creates a missing dir 0700', async () => {
    const dir = path.join(await mkdtemp(path.join(tmpdir(), 'murmur-private-')), 'a', 'b')
    await ensurePrivateDir(dir, createLogger(() => {}, 'silent'))
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
  })

  it.each([
    ['0755', '0700'],
    ['0777', '0700'],
    ['0750', '0700'],
    // A data dir the operator made read-only stays read-only for its owner: it used to be chmod'ed to
    // 0700, gaining the write permission it was denied (and the log said "restricted").
    ['0555', '0500'],
    ['0511', '0500']
  ])('tightens %s to %s, taking away only the group and other bits', async (initial, expected) => {
    const { mode, log } = await modeAfter(parseInt(initial, 8))
    expect(`0${mode.toString(8)}`).toBe(expected)
    expect(log).toMatch(/data directory was open to other users; restricted it to its owner/)
  })

  it('leaves an owner-only dir as it is, without a warning', async () => {
    for (const initial of [0o700, 0o500]) {
      const { mode, log } = await modeAfter(initial)
      expect(mode).toBe(initial)
      expect(log).toBe('')
    }
  })
})
