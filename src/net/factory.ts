/**
 * createLibp2pTransport: config → identity → pre-shared key → policy and gater → libp2p node → transport.
 * Every start-up problem surfaces here as a named error (ConfigError, IdentityError, PskError).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { ConfigError } from '../core/errors.js'
import { RateLimitedLog, silentLogger } from '../core/logger.js'
import { HandshakeSlots } from '../core/handshake-slots.js'
import { handshakeTimeoutScale } from '../core/link-defaults.js'
import { peerIdOf } from './addresses.js'
import { resolveTransportConfig } from './config.js'
import type { Libp2pTransportInit } from './config.js'
import { PskError } from './errors.js'
import { FirstBytesLog, OutboundFirstBytes } from './first-bytes.js'
import { createGater } from './gater.js'
import { HandshakeWatch } from './handshake-watch.js'
import { loadOrCreateIdentity } from './identity.js'
import { ed25519Signer } from './signer.js'
import { resetSecretOf } from './datagram-seal.js'
import { InboundAdmission } from './inbound-admission.js'
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
  const localId = peerIdFromPrivateKey(privateKey).toString()
  checkOwnAddresses(config.announce, localId, 'advertised address', 'advertise')
  checkOwnAddresses(config.listen, localId, 'listen address', 'listen on')
  const counters = createCounters()
  const warnings = new RateLimitedLog(log, now)
  const policy = new PeerPolicy(config.allowPeers, now)
  const guard = psk === undefined ? undefined : new PrivateMeshGuard(psk, config.inboundUpgradeTimeoutMs)
  // Aborted when close() begins: what fails after that is our own shutdown, not news about the remote.
  const shutdown = new AbortController()
  const isClosing = (): boolean => shutdown.signal.aborted
  // Without a key, the pass-through protector sees what remotes send first (diagnosis only).
  const firstBytes = psk === undefined ? new FirstBytesLog() : undefined
  const outboundFirstBytes = psk === undefined ? new OutboundFirstBytes() : undefined
  const watch = new HandshakeWatch({
    warnings,
    log,
    pskConfigured: psk !== undefined,
    now,
    onFailed: () => { counters.rejectedConnections.handshakeFailed++ },
    isClosing,
    ...(firstBytes === undefined ? {} : { firstBytes: (maConn) => firstBytes.get(maConn) }),
    ...(psk === undefined ? {} : { fingerprint: psk.fingerprint })
  })
  // Bounded handshakes per direction (handshake-slots.ts); deadlines stretched by our local health.
  const handshakes = {
    inbound: new HandshakeSlots(config.maxConcurrentInboundHandshakes, config.maxQueuedHandshakes),
    outbound: new HandshakeSlots(config.maxConcurrentHandshakes, config.maxQueuedHandshakes)
  }
  const health = { multiplier: 1 }
  const timeoutScale = (): number => handshakeTimeoutScale(health.multiplier)
  const admission = new InboundAdmission(config.maxIncomingPendingConnections, (reason, maConn, pending) => {
    if (isClosing()) return
    counters.rejectedConnections[reason]++
    const from = maConn.remoteAddr.toString()
    if (reason === 'pendingFull') {
      warnings.warn('admission:pendingFull', 'refused inbound connection: too many connections still in their handshake (a connection flood, or silent connections holding the slots)', {
        from, pending, limit: config.maxIncomingPendingConnections
      })
    } else {
      warnings.warn(`admission:${from.split('/tcp/')[0] ?? from}`, 'refused inbound connection: over the per-IP connection rate or the connection cap', {
        from, perIpPerSec: config.inboundConnectionThreshold
      })
    }
  }, { slots: handshakes.inbound, counts: counters.handshakes.inbound, timeoutMs: () => config.inboundUpgradeTimeoutMs * timeoutScale() })
  const protector = guard?.protector()
  // Private mesh: a key without an installed protector must never start (the gater also fails closed
  // on any connection the protector did not see; see private-mesh.ts).
  if (psk !== undefined && protector === undefined) throw new PskError('pre-shared key configured but no protector installed')
  let node: MurmurNode
  try {
    node = await createMurmurNode({
      privateKey,
      listen: config.listen,
      announce: config.announce,
      gater: createGater({ policy, watch, guard, counters, warnings, log }),
      ...(protector === undefined ? {} : { protector }),
      ...(config.mdns === undefined ? {} : { mdns: config.mdns }),
      dialTimeoutMs: config.dialTimeoutMs,
      inboundUpgradeTimeoutMs: config.inboundUpgradeTimeoutMs,
      maxConnections: config.maxConnections,
      inboundConnectionThreshold: config.inboundConnectionThreshold,
      maxIncomingPendingConnections: config.maxIncomingPendingConnections,
      admission,
      ...(firstBytes === undefined || outboundFirstBytes === undefined ? {} : { firstBytes: { inbound: firstBytes, outbound: outboundFirstBytes } })
    })
  } catch (err) {
    throw new ConfigError(`cannot listen on ${config.listen.join(', ')}: ${listenFailure(err)}`)
  }
  const transport = new Libp2pTransport({ node, config, policy, counters, log, warnings, now, psk, guard, shutdown, signer: ed25519Signer(privateKey), datagramResetSecret: resetSecretOf(privateKey.raw), handshakes, health, timeoutScale, ...(outboundFirstBytes === undefined ? {} : { outboundFirstBytes }) })
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

/**
 * An address ending in another peer's `/p2p/<id>` (a bootstrap peer's address pasted into --advertise or
 * --listen) is refused. Advertised, libp2p appended this peer's id after it, and the members were handed
 * `/…/p2p/<other>/p2p/<self>`, with the host and port of whichever peer that was; as a listen address, the
 * id was dropped without a word. This peer's own id is fine.
 */
function checkOwnAddresses (addrs: readonly string[], localId: string, what: string, verb: string): void {
  for (const addr of addrs) {
    const id = peerIdOf(multiaddr(addr))
    if (id !== undefined && id !== localId) {
      throw new ConfigError(`${what} ${addr} names peer ${id}, not this peer (${localId}): ${verb} this peer's own address, without /p2p/`)
    }
  }
}
