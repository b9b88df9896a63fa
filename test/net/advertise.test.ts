/**
 * `announce` (`--advertise`) and `listen` (`--listen`): an address naming another peer's /p2p/ id is refused
 * at start-up (a listen address's id used to be dropped without a word). libp2p
 * appended this peer's id after it, so the members were handed `/…/p2p/<other>/p2p/<self>` — with the
 * host and port of the other peer, when its bootstrap address was pasted. This peer's own id is fine.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, test } from 'vitest'
import { ConfigError } from '../../src/core/errors.js'
import { startTransport } from './helpers.js'

/** This peer's key and id, and another peer's id. */
async function twoIdentities (): Promise<{ privateKey: PrivateKey, self: string, other: string }> {
  const privateKey = await generateKeyPair('Ed25519')
  return { privateKey, self: peerIdFromPrivateKey(privateKey).toString(), other: peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString() }
}

describe('advertised addresses', () => {
  test('another peer\'s /p2p/ id is refused; this peer\'s own, or none, is advertised as given', async () => {
    const { privateKey, self, other } = await twoIdentities()
    const refused = startTransport({ privateKey, announce: [`/ip4/127.0.0.1/tcp/4001/p2p/${other}`] })
    await expect(refused).rejects.toThrow(ConfigError)
    await expect(refused).rejects.toThrow(`advertised address /ip4/127.0.0.1/tcp/4001/p2p/${other} names peer ${other}, not this peer (${self})`)
    for (const announce of [`/ip4/127.0.0.1/tcp/4001/p2p/${self}`, '/ip4/127.0.0.1/tcp/4001']) {
      const t = await startTransport({ privateKey, announce: [announce] })
      try {
        expect(t.addresses()).toEqual([`/ip4/127.0.0.1/tcp/4001/p2p/${self}`])
      } finally {
        await t.close(500)
      }
    }
  })

  test('a listen address with another peer\'s /p2p/ id is refused, naming both ids; this peer\'s own is fine', async () => {
    const { privateKey, self, other } = await twoIdentities()
    const refused = startTransport({ privateKey, listen: [`/ip4/127.0.0.1/tcp/0/p2p/${other}`] })
    await expect(refused).rejects.toThrow(ConfigError)
    await expect(refused).rejects.toThrow(`listen address /ip4/127.0.0.1/tcp/0/p2p/${other} names peer ${other}, not this peer (${self}): listen on this peer's own address, without /p2p/`)
    const t = await startTransport({ privateKey, listen: [`/ip4/127.0.0.1/tcp/0/p2p/${self}`] })
    try {
      expect(t.addresses()).toHaveLength(1)
      expect(t.addresses()[0]).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${self}$`))
    } finally {
      await t.close(500)
    }
  })
})
