/**
 * The members file (src/remembered-members.ts): what a peer writes of the members it saw alive, and what
 * it accepts back from disk, which is untrusted — a damaged file is one warning, never a failed start.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { afterEach, describe, expect, test } from 'vitest'
import { createLogger } from '../src/core/logger.js'
import { ensurePrivateDir } from '../src/core/private-files.js'
import type { Logger } from '../src/core/logger.js'
import { MAX_MEMBERS_FILE_BYTES, MAX_REMEMBERED, MEMBERS_FILE, MemberMemory, membersText, readRememberedMembers, rememberable, writeMembersFile } from '../src/remembered-members.js'

const SELF = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'
const B = '12D3KooWMMwy8mcPYUmiN3NdhJFmqLJ4gaW6vuEunq46mQoKwqbL'
const C = '12D3KooWGyx89LEMwoqfxEvq7g62gnU4UDCi6uM38i99sw64w8WC'
const addrOf = (id: string, port: number): string => `/ip4/127.0.0.1/tcp/${port}/p2p/${id}`

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })
function dataDir (): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'murmur-members-'))
  dirs.push(dir)
  return dir
}

function capture (): { log: Logger, warnings: string[] } {
  const warnings: string[] = []
  return { log: createLogger((_level, _component, message) => { warnings.push(message) }, 'warn'), warnings }
}

describe('the members file', () => {
  test('round trip: what is written is read back, owner-only, with no temp file left', async () => {
    const dir = dataDir()
    const members = rememberable([{ id: C, addrs: [addrOf(C, 4002)] }, { id: B, addrs: [addrOf(B, 4001), '/ip4/10.0.0.2/tcp/4001'] }], SELF)
    await writeMembersFile(dir, membersText(members))
    const { log, warnings } = capture()
    // Sorted by id (C's sorts first): the same members make the same file.
    expect(await readRememberedMembers(dir, SELF, log)).toEqual([
      { id: C, addrs: [addrOf(C, 4002)] },
      { id: B, addrs: [addrOf(B, 4001), '/ip4/10.0.0.2/tcp/4001'] }
    ])
    expect(warnings).toEqual([])
    expect(statSync(path.join(dir, MEMBERS_FILE)).mode & 0o777).toBe(0o600)
    expect(readdirSync(dir)).toEqual([MEMBERS_FILE])
  })

  test('it is a file a peer puts in its data dir: a data dir open to others that holds it (and a crash-left temp copy) is still restricted', async () => {
    const dir = dataDir()
    writeFileSync(path.join(dir, MEMBERS_FILE), '{}')
    writeFileSync(path.join(dir, `${MEMBERS_FILE}.123.456.tmp`), '{}')
    chmodSync(dir, 0o755)
    const { log, warnings } = capture()
    await ensurePrivateDir(dir, log)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    expect(warnings).toEqual(['data directory was open to other users; restricted it to its owner'])
  })

  test('no file: nothing remembered, no warning', async () => {
    const { log, warnings } = capture()
    expect(await readRememberedMembers(dataDir(), SELF, log)).toEqual([])
    expect(warnings).toEqual([])
  })

  test.each([
    ['not JSON', '{"format": 1, "members": [', /not valid JSON/],
    ['a list', '[]', /not a JSON object/],
    ['another format', '{"format": 7, "members": []}', /unknown format 7/],
    ['no members', '{"format": 1}', /no "members" list/]
  ])('a corrupt file (%s): one warning naming the file and why, nothing remembered', async (_what, text, reason) => {
    const dir = dataDir()
    writeFileSync(path.join(dir, MEMBERS_FILE), text)
    const { log, warnings } = capture()
    expect(await readRememberedMembers(dir, SELF, log)).toEqual([])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain(path.join(dir, MEMBERS_FILE))
    expect(warnings[0]).toMatch(reason)
  })

  test('an oversized file is not read: one warning with its size', async () => {
    const dir = dataDir()
    writeFileSync(path.join(dir, MEMBERS_FILE), ' '.repeat(MAX_MEMBERS_FILE_BYTES + 1))
    const { log, warnings } = capture()
    expect(await readRememberedMembers(dir, SELF, log)).toEqual([])
    expect(warnings).toEqual([`remembered members file ${path.join(dir, MEMBERS_FILE)} ignored: ${MAX_MEMBERS_FILE_BYTES + 1} bytes, at most ${MAX_MEMBERS_FILE_BYTES} expected`])
  })

  test('a directory in its place: one warning, nothing remembered', async () => {
    const dir = dataDir()
    mkdirSync(path.join(dir, MEMBERS_FILE))
    const { log, warnings } = capture()
    expect(await readRememberedMembers(dir, SELF, log)).toEqual([])
    expect(warnings).toEqual([`remembered members file ${path.join(dir, MEMBERS_FILE)} ignored: not a regular file`])
  })

  test('entries with a bad id or no usable address are dropped, bad addresses too, and this peer itself is skipped', async () => {
    const dir = dataDir()
    writeFileSync(path.join(dir, MEMBERS_FILE), JSON.stringify({
      format: 1,
      members: [
        { id: SELF, addrs: [addrOf(SELF, 4000)] },
        { id: '12D3KooWnot-a-peer-id', addrs: ['/ip4/127.0.0.1/tcp/4003'] },
        { id: 42, addrs: ['/ip4/127.0.0.1/tcp/4004'] },
        null,
        'x',
        { id: C, addrs: ['not a multiaddr', '/ip4/127.0.0.1/udp/4002', '/ip4/127.0.0.1/tcp/0', addrOf(B, 4001), 7] },
        { id: C, addrs: 'nope' },
        {
          id: B,
          addrs: ['/ip4/127.0.0.1/tcp/4001/ws', `/ip4/127.0.0.1/tcp/4001/p2p/${C}`, addrOf(B, 4001), addrOf(B, 4001), `/dns4/${'a'.repeat(300)}/tcp/1`, '/dns4/b.example/tcp/4001']
        }
      ]
    }))
    const { log, warnings } = capture()
    // C had no address it could be dialled at (its only TCP one names B): nothing of it is kept.
    expect(await readRememberedMembers(dir, SELF, log)).toEqual([{ id: B, addrs: [addrOf(B, 4001), '/dns4/b.example/tcp/4001'] }])
    expect(warnings).toEqual([])
  })

  test(`at most ${MAX_REMEMBERED} members are written, each once, each with at most 16 addresses`, async () => {
    const ids = await Promise.all(Array.from({ length: MAX_REMEMBERED + 8 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()))
    const kept = rememberable([...ids, ...ids].map((id, i) => ({ id, addrs: Array.from({ length: 20 }, (_, j) => `/ip4/10.0.${i}.${j}/tcp/4001`) })), SELF)
    expect(kept).toHaveLength(MAX_REMEMBERED)
    expect(new Set(kept.map(m => m.id)).size).toBe(MAX_REMEMBERED)
    expect(kept.every(m => m.addrs.length === 16)).toBe(true)
  })
})

describe('MemberMemory', () => {
  test('writes the members alive when they changed, not when they did not, and nothing when nobody is alive', async () => {
    const dir = dataDir()
    const file = path.join(dir, MEMBERS_FILE)
    let alive: Array<{ id: string, addrs: string[] }> = []
    const { log, warnings } = capture()
    const memory = new MemberMemory({ dataDir: dir, log, selfId: SELF, alive: () => alive, remembered: [] })
    await memory.save()
    expect(readdirSync(dir)).toEqual([]) // nobody alive: no file

    alive = [{ id: B, addrs: [addrOf(B, 4001)] }]
    await memory.save()
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ format: 1, members: [{ id: B, addrs: [addrOf(B, 4001)] }] })

    // Unchanged: not written again (the file's inode stays the one renamed into place).
    const ino = statSync(file).ino
    await memory.save()
    expect(statSync(file).ino).toBe(ino)

    // Everybody gone (they may all be restarting): the last members seen stay.
    alive = []
    await memory.stop()
    expect(JSON.parse(readFileSync(file, 'utf8')).members).toEqual([{ id: B, addrs: [addrOf(B, 4001)] }])

    alive = [{ id: C, addrs: [addrOf(C, 4002)] }, { id: SELF, addrs: [addrOf(SELF, 4000)] }]
    await memory.stop()
    expect(JSON.parse(readFileSync(file, 'utf8')).members).toEqual([{ id: C, addrs: [addrOf(C, 4002)] }])
    expect(warnings).toEqual([])
  })

  test('the members read at start are not written again while the same are alive', async () => {
    const dir = dataDir()
    const file = path.join(dir, MEMBERS_FILE)
    const remembered = [{ id: B, addrs: [addrOf(B, 4001)] }]
    await writeMembersFile(dir, membersText(remembered))
    const ino = statSync(file).ino
    const memory = new MemberMemory({ dataDir: dir, log: capture().log, selfId: SELF, alive: () => remembered, remembered })
    await memory.stop()
    expect(statSync(file).ino).toBe(ino)
  })

  test('a write that fails is one warning, until a write succeeds again', async () => {
    const dir = path.join(dataDir(), 'gone')
    const { log, warnings } = capture()
    const memory = new MemberMemory({ dataDir: dir, log, selfId: SELF, alive: () => [{ id: B, addrs: [addrOf(B, 4001)] }], remembered: [] })
    await memory.save()
    await memory.save()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/cannot write remembered members file .*gone\/members\.json \(ENOENT\)/)
  })
})
