/**
 * Two processes with one identity (a data dir copied, peer.key and all): they can never form a mesh, and
 * each must say why. Before, the original warned that the remote "may be using a pre-shared key" and the
 * copy logged, at debug, that the address was its own.
 */
import { cpSync } from 'node:fs'
import { afterAll, describe, expect, test } from 'vitest'
import { cleanup, spawnPeer, stopPeer, tempDir, waitFor } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'

const DUPLICATE = /another process runs with a copy of this peer's identity/

describe('a copied data dir', () => {
  afterAll(cleanup)

  test('both processes name the shared identity, and neither blames a pre-shared key', async () => {
    const original = await spawnPeer({ args: ['--profile', 'local'] })
    const copyDir = tempDir()
    cpSync(original.dataDir, copyDir, { recursive: true, filter: src => !src.endsWith('LOCK') && !src.endsWith('http-addr') })
    const bare = (original.addrs[0] as string).replace(/\/p2p\/.*$/, '')
    const copy = await spawnPeer({ dataDir: copyDir, args: ['--profile', 'local'], bootstrap: [bare] })
    expect(copy.id).toBe(original.id)
    await waitFor('the original to name the shared identity', () => DUPLICATE.test(original.log()), 15_000)
    await waitFor('the copy to name the shared identity', () => DUPLICATE.test(copy.log()), 15_000)
    expect(original.log()).not.toMatch(/pre-shared key/)
    expect(copy.log()).not.toMatch(/pre-shared key/)
    console.log('original:', original.log().split('\n').find(l => DUPLICATE.test(l)))
    console.log('copy:', copy.log().split('\n').find(l => DUPLICATE.test(l)))
    await stopPeer(copy)
    await stopPeer(original)
  }, 60_000)

  test('started beside the original through a third peer, the third peer names the clash', async () => {
    const { third, peer: original } = await twoPeers()
    const copyDir = tempDir()
    cpSync(original.dataDir, copyDir, { recursive: true, filter: src => !src.endsWith('LOCK') && !src.endsWith('http-addr') })
    const copy = await spawnPeer({ dataDir: copyDir, args: ['--profile', 'local'], bootstrap: [third.addrs[0] as string] })
    expect(copy.id).toBe(original.id)
    await waitFor('the third peer to name the clash', () => CLASH.test(third.log()), 20_000)
    const line = third.log().split('\n').find(l => CLASH.test(l)) ?? ''
    expect(line).toContain(original.id)
    expect(line).toMatch(/every peer needs its own peer\.key/)
    expect(await clashes(third)).toBeGreaterThanOrEqual(1)
    console.log('third:', line)
    // The third peer tells both processes (src/net/clash-notice.ts): before, the copy logged only that no
    // bootstrap peer had answered yet, and the original nothing.
    await waitFor('the copy to be told of the clash', () => TOLD.test(copy.log()), 15_000)
    await waitFor('the original to be told of the clash', () => TOLD.test(original.log()), 15_000)
    const told = copy.log().split('\n').find(l => TOLD.test(l)) ?? ''
    expect(told).toContain(third.id)
    expect(told).toMatch(/every peer needs its own peer\.key/i)
    console.log('copy:', told)
    await stopPeer(copy)
    await stopPeer(original)
    await stopPeer(third)
  }, 90_000)

  test('a mesh without a copy, with a peer SIGKILLed and restarted, names no clash', async () => {
    const { third, peer: a } = await twoPeers()
    a.proc.kill('SIGKILL')
    await a.exited
    const again = await spawnPeer({ dataDir: a.dataDir, args: ['--profile', 'local'], bootstrap: [third.addrs[0] as string] })
    await waitFor('the restarted peer alive again', async () => (await members(third)).length === 2, 15_000)
    await new Promise(resolve => setTimeout(resolve, 12_000))
    expect(third.log()).not.toMatch(CLASH)
    expect(await clashes(third)).toBe(0)
    await stopPeer(again)
    await stopPeer(third)
  }, 90_000)
})

const CLASH = /two processes run with one peer identity/
const TOLD = /ERROR.*another process runs with a copy of this peer's identity.*toldBy=/

/** A peer, and another joined through it. */
async function twoPeers (): Promise<{ third: PeerProcess, peer: PeerProcess }> {
  const third = await spawnPeer({ args: ['--profile', 'local'] })
  const peer = await spawnPeer({ args: ['--profile', 'local'], bootstrap: [third.addrs[0] as string] })
  await waitFor('the second peer to join', async () => (await members(third)).length === 2, 15_000)
  return { third, peer }
}

async function clashes (p: PeerProcess): Promise<number> {
  const metrics = await (await fetch(`${p.http}/metrics`)).text()
  return Number(/^murmur_identity_clashes_total (\d+)/m.exec(metrics)?.[1])
}

async function members (p: { http: string }): Promise<string[]> {
  const r = await fetch(`${p.http}/members`)
  const list = await r.json() as Array<{ peerId: string, state: string }>
  return list.filter(m => m.state === 'alive').map(m => m.peerId)
}
