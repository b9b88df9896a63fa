/** ensurePrivateDir (src/core/private-files.ts): the data dir ends owner-only, and gains no permission on the way. */
import { chmod, mkdir, mkdtemp, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { createLogger, streamSink } from '../../src/core/logger.js'
import { ensurePrivateDir } from '../../src/core/private-files.js'

/** `entries`: names made in the dir first (a trailing / makes a directory). */
async function modeAfter (initial: number, entries: readonly string[] = []): Promise<{ mode: number, log: string }> {
  const dir = path.join(await mkdtemp(path.join(tmpdir(), 'murmur-private-')), 'data')
  await mkdir(dir)
  for (const e of entries) await (e.endsWith('/') ? mkdir(path.join(dir, e)) : writeFile(path.join(dir, e), ''))
  await chmod(dir, initial) // mkdir's mode is filtered by the umask
  let log = ''
  await ensurePrivateDir(dir, createLogger(streamSink((line) => { log += line }), 'info'))
  return { mode: (await stat(dir)).mode & 0o7777, log }
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

  it('tightens a dir holding only what a peer puts there (and lost+found, at the root of a fresh volume)', async () => {
    const { mode, log } = await modeAfter(0o755, ['peer.key', 'docs/', 'http-addr', 'lost+found/', 'peer.key.123.456.tmp'])
    expect(mode).toBe(0o700)
    expect(log).toMatch(/restricted it to its owner/)
  })

  // `--data-dir /` (or /tmp, /etc, a home or project dir) run as root chmod'ed that directory to 0700:
  // every other user lost the file system root (/tmp lost its sticky bit too). Only a directory that is
  // the peer's own is tightened; another is left as it is, with a warning.
  it.each([
    ['0755', ['notes.txt']],
    ['0755', ['peer.key', 'docs/', 'etc/']],
    ['1777', ['a-socket-of-someone-else']]
  ])('leaves %s holding other files (%j) as it is, with a warning', async (initial, entries) => {
    const { mode, log } = await modeAfter(parseInt(initial, 8), entries)
    expect(mode.toString(8).padStart(4, '0')).toBe(initial.padStart(4, '0'))
    expect(log).toMatch(/WARN .*data directory is open to other users and holds files a peer did not create: left as it is/)
  })
})
