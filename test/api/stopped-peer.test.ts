/**
 * A stopped peer refuses changes as it refuses writes: `setTags`, `leave` and the other calls that change
 * its state were accepted silently after `stop()` (the tags even changed in `self()`, gossiped to nobody),
 * and `docs()` still listed the docs it held while `version` and `digest` of each answered undefined.
 * Real in-process peer.
 */
import { afterAll, describe, expect, test } from 'vitest'
import { NotRunningError, createPeer } from '../../src/index.js'
import type { Peer } from '../../src/index.js'

const LISTEN = ['/ip4/127.0.0.1/tcp/0']
const peers: Peer[] = []
afterAll(async () => { await Promise.all(peers.map(async p => { await p.stop() })) })

async function stoppedPeer (): Promise<Peer> {
  const p = await createPeer({ listen: LISTEN, profile: 'local', tags: { role: 'db' } })
  peers.push(p)
  await p.write('held', (d) => { d.getMap('kv').set('k', 1) })
  expect(p.docs().map(d => d.name)).toEqual(['held'])
  await p.stop()
  return p
}

describe('a stopped peer', () => {
  test('setTags and leave are refused with NotRunningError, as write is, and change nothing', async () => {
    const p = await stoppedPeer()
    await expect(p.write('held', (d) => { d.getMap('kv').set('k', 2) })).rejects.toBeInstanceOf(NotRunningError)
    const before = p.self()
    expect(() => { p.setTags({ role: 'web' }) }).toThrow(NotRunningError)
    expect(() => { p.setTags({ role: 'web' }) }).toThrow(/^setTags: the peer is stopped; nothing was changed$/)
    expect(p.self()).toEqual(before)
    await expect(p.leave()).rejects.toBeInstanceOf(NotRunningError)
    await expect(p.leave()).rejects.toThrow(/^leave: the peer is stopped; nothing was changed$/)
    expect(p.self().state).toBe(before.state)
  })

  test('the other changes (allowlist, fault injection, the advertised HTTP address) are refused too', async () => {
    const p = await stoppedPeer()
    const before = p.self()
    expect(() => { p.setAllowedPeers(undefined) }).toThrow(NotRunningError)
    expect(() => { p.partition([]) }).toThrow(NotRunningError)
    expect(() => { p.heal() }).toThrow(NotRunningError)
    expect(() => { p.advertiseHttp('http://127.0.0.1:1') }).toThrow(NotRunningError)
    expect(p.self()).toEqual(before)
  })

  test('docs() lists nothing, as version() and digest() answer undefined for each doc', async () => {
    const p = await stoppedPeer()
    expect(p.version('held')).toBeUndefined()
    expect(p.digest('held')).toBeUndefined()
    expect(p.docs()).toEqual([])
    expect(p.meshView().docs).toEqual([])
  })
})
