/**
 * Real peer processes (dist/peer.js) restarted with their data dir: the peer that started the mesh has no
 * --bootstrap, and after a graceful stop the others list it `left` and never call it again. It finds the mesh
 * again through the members it remembered (members.json); --no-rejoin keeps the old behaviour.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { MEMBERS_FILE, membersText } from '../src/remembered-members.js'
import { cleanup, http, members, sleep, spawnPeer, stateOf, stopPeer, waitFor, waitForStates } from './helpers/procs.js'
import type { PeerProcess } from './helpers/procs.js'

afterAll(cleanup)

/** A first peer without --bootstrap and a second one joined through it, both seeing each other alive. */
async function twoPeers (firstArgs: string[] = []): Promise<[PeerProcess, PeerProcess]> {
  const a = await spawnPeer({ args: firstArgs })
  const b = await spawnPeer({ bootstrap: [a.addrs[0] as string] })
  await waitForStates([a, b], [a.id, b.id], 'alive', 15_000)
  return [a, b]
}

/** Stops `a` gracefully and waits until `b` lists it `left`. */
async function leave (a: PeerProcess, b: PeerProcess): Promise<void> {
  expect(await stopPeer(a)).toEqual({ code: 0, signal: null })
  await waitFor(`${b.id} to list the stopped peer left`, async () => await stateOf(b, a.id) === 'left', 10_000)
}

describe('a peer restarted with its data dir after a graceful stop', () => {
  test('the peer that started the mesh (no --bootstrap) finds it again through the members it remembered', async () => {
    const [a, b] = await twoPeers()
    await leave(a, b)
    // Before: B listed A left for good, and A stayed alone (no seeds).
    const again = await spawnPeer({ dataDir: a.dataDir })
    expect(again.id).toBe(a.id)
    await waitForStates([again, b], [a.id, b.id], 'alive', 15_000)
    expect(again.log()).toMatch(/INFO {2}murmur rejoining through 1 remembered member/)
    expect((await http(again.http, 'GET', '/ready')).status).toBe(200)
  }, 60_000)

  test('--no-rejoin: no members file is written, and one that is there is not joined through', async () => {
    const [a, b] = await twoPeers(['--no-rejoin'])
    await leave(a, b)
    expect(existsSync(path.join(a.dataDir, MEMBERS_FILE))).toBe(false)

    // The file a peer without --no-rejoin would have written: ignored.
    const file = path.join(a.dataDir, MEMBERS_FILE)
    writeFileSync(file, membersText([{ id: b.id, addrs: b.addrs }]), { mode: 0o600 })
    const again = await spawnPeer({ dataDir: a.dataDir, args: ['--no-rejoin'] })
    // Nothing to wait for: a join through the file would have answered within a second on loopback.
    await sleep(3_000)
    expect((await members(again)).map(m => m.peerId)).toEqual([a.id])
    expect(await stateOf(b, a.id)).toBe('left')
    expect(again.log()).not.toMatch(/remembered/)
    expect(await stopPeer(again)).toEqual({ code: 0, signal: null })
    expect(readFileSync(file, 'utf8')).toBe(membersText([{ id: b.id, addrs: b.addrs }]))
  }, 60_000)

  test('remembered members that do not answer leave readiness alone: a peer without --bootstrap is ready alone', async () => {
    const [a, b] = await twoPeers()
    await leave(a, b)
    expect(await stopPeer(b)).toEqual({ code: 0, signal: null })
    const again = await spawnPeer({ dataDir: a.dataDir })
    expect(again.log()).toMatch(/rejoining through 1 remembered member/)
    expect(await http(again.http, 'GET', '/ready')).toMatchObject({ status: 200, body: { ready: true } })
  }, 60_000)

  test('remembered members are re-tried while alone: restarted while the other was down, it finds it once it is back', async () => {
    const [a, b] = await twoPeers()
    await leave(a, b)
    const port = Number(/\/tcp\/(\d+)/.exec(b.addrs[0] as string)?.[1])
    expect(await stopPeer(b)).toEqual({ code: 0, signal: null })
    const again = await spawnPeer({ dataDir: a.dataDir })
    await waitFor('the restarted peer to log that no remembered member answered', () => /no remembered member answered yet/.test(again.log()), 10_000)
    // B back at its address, with neither --bootstrap nor its own memory: only A's re-tries can bring them together.
    const back = await spawnPeer({ dataDir: b.dataDir, tcpPort: port, args: ['--no-rejoin'] })
    await waitForStates([again, back], [a.id, b.id], 'alive', 15_000)
  }, 60_000)

  test('a corrupt members file is one warning naming it, and the peer starts', async () => {
    const first = await spawnPeer()
    expect(await stopPeer(first)).toEqual({ code: 0, signal: null })
    const file = path.join(first.dataDir, MEMBERS_FILE)
    writeFileSync(file, '{"format": 1, "members": [', { mode: 0o600 })
    const again = await spawnPeer({ dataDir: first.dataDir })
    expect(again.log()).toContain(`WARN  murmur remembered members file ${file} ignored: not valid JSON`)
    expect(again.log().match(/remembered members/g)).toHaveLength(1)
    expect((await http(again.http, 'GET', '/ready')).status).toBe(200)
  }, 60_000)
})
