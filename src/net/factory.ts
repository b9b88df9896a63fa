/**
 * createLibp2pTransport: config → identity → pre-shared key → policy and gater → libp2p node → transport.
 * Every start-up problem surfaces here as a named error (ConfigError, IdentityError, PskError).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { ConfigError } from '../core/errors.js'
import { RateLimitedLog, silentLogger } from '../core/logger.js'
import { resolveTransportConfig } from './config.js'
import type { Libp2pTransportInit } from './config.js'
import { PskError } from './errors.js'
import { createGater } from './gater.js'
import { HandshakeWatch } from './handshake-watch.js'
import { loadOrCreateIdentity } from './identity.js'
import { Libp2pTransport } from './libp2p-transport.js'
import { createMurmurNode } from './node.js'
import type { MurmurNode } from './node.js'
import { PeerPolicy } from './peer-policy.js'
import { PrivateMeshGuard } from './private-mesh.js'
import { parsePsk } from './psk.js'
import { createCounters } from './stats.js'

/**
 * Creates a started transport, listening.
 * @throws ConfigError (bad option, cannot listen), IdentityError (bad key file), PskError (bad swarm.key)
 */
export async function createLibp2pTransport (init: Libp2pTransportInit = {}): Promise<Libp2pTransport> {
  const config = resolveTransportConfig(init)
  const log = (init.logger ?? silentLogger).child('net')
  const now = init.now ?? (() => performance.now())
  const psk = init.psk === undefined ? undefined : parsePsk(init.psk)
  const privateKey = init.privateKey ??
    (init.dataDir !== undefined ? (await loadOrCreateIdentity(init.dataDir, log)).privateKey : await generateKeyPair('Ed25519'))
  const counters = createCounters()
  const warnings = new RateLimitedLog(log, now)
  const policy = new PeerPolicy(config.allowPeers, now)
  const guard = psk === undefined ? undefined : new PrivateMeshGuard(psk, config.inboundUpgradeTimeoutMs)
  const watch = new HandshakeWatch(warnings, psk !== undefined, now, () => { counters.rejectedConnections.handshakeFailed++ }, psk?.fingerprint)
  const protector = guard?.protector()
  // Private mesh: a key without an installed protector must never start (the gater also fails closed
  // on any connection the protector did not see; see private-mesh.ts).
  if (psk !== undefined && protector === undefined) throw new PskError('pre-shared key configured but no protector installed')
  let node: MurmurNode
  try {
    node = await createMurmurNode({
      privateKey,
      listen: config.listen,
      gater: createGater({ policy, watch, guard, counters, warnings, log }),
      ...(protector === undefined ? {} : { protector }),
      ...(config.mdns === undefined ? {} : { mdns: config.mdns }),
      dialTimeoutMs: config.dialTimeoutMs,
      inboundUpgradeTimeoutMs: config.inboundUpgradeTimeoutMs,
      maxConnections: config.maxConnections,
      inboundConnectionThreshold: config.inboundConnectionThreshold
    })
  } catch (err) {
    throw new ConfigError(`cannot listen on ${config.listen.join(', ')}: ${listenFailure(err)}`)
  }
  const transport = new Libp2pTransport({ node, config, policy, counters, log, warnings, now, psk, guard })
  await transport.start()
  return transport
}

/**
 * The one useful line of libp2p's listen failure, which is a multi-line report with stacks: the first
 * system error in it (e.g. "listen EADDRINUSE: address already in use 127.0.0.1:4001").
 */
function listenFailure (err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  const system = /\b(listen|bind) (E[A-Z]+)[^\n]*/.exec(text)
  return system !== null ? system[0].trim() : (text.split('\n')[0] ?? text).trim()
}
