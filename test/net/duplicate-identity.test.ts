/**
 * Two processes with one identity (a data dir copied, peer.key and all): they can never form a mesh, and
 * each must say why. Before, the original warned that the remote "may be using a pre-shared key" and the
 * copy logged, at debug, that the address was its own.
 */
import { cpSync } from 'node:fs'
import { afterAll, describe, expect, test } from 'vitest'
import { cleanup, spawnPeer, stopPeer, tempDir, waitFor } from '../helpers/procs.js'

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
})
