/**
 * createPeer: the mesh node (mesh-node.ts) over real parts — the libp2p transport, a LevelDB store in the
 * data dir (or memory without one), the system clock and OS randomness. Everything protocol-related is
 * assembled in createMeshNode, which the simulator builds too; this file only opens and closes the
 * real resources, in the right order, and resolves DNS bootstrap names.
 */
import { hostname } from 'node:os'
import path from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import type { JoinFailure, Peer, PeerOptions } from './api.js'
import { SystemClock } from './core/clock.js'
import type { DocStore } from './core/doc-store.js'
import { MurmurError } from './core/errors.js'
import { defaultLibraryLogger } from './core/logger.js'
import type { Logger } from './core/logger.js'
import { ensurePrivateDir } from './core/private-files.js'
import { systemRandom } from './core/random.js'
import type { Destination } from './core/transport.js'
import { createMeshNode } from './mesh-node.js'
import { MIN_MAJOR } from './node-guard.js'
import type { MeshNode } from './mesh-node.js'
import { DnsSeeds, createLibp2pTransport, dnsSeed, mdnsServiceTag, resolveSeeds, systemResolver } from './net/index.js'
import { bare } from './net/dns-seeds.js'
import type { Libp2pTransport } from './net/index.js'
import { MemoryDocStore } from './replication/index.js'
import { checkAddrs, checkPeerIds, checkPeerOptions } from './peer-options.js'
import { LevelDocStore, openLevelDocStore } from './storage/index.js'
import { MAX_SEEDS } from './membership/membership.js'
import { MemberMemory, readRememberedMembers, rememberedSeeds } from './remembered-members.js'
import type { RememberedMember } from './remembered-members.js'

/** libp2p 3 needs Promise.withResolvers (Node 22); older runtimes fail deep inside the first handshake. */
export const MIN_NODE_MAJOR = MIN_MAJOR

export class UnsupportedRuntimeError extends MurmurError {
  override name = 'UnsupportedRuntimeError'
}

/** Where documents live inside the data dir (the identity key sits beside it as peer.key). */
export const DOCS_DIR = 'docs'

/** Turns a bootstrap multiaddr into a destination, taking the peer id from `/p2p/<id>` when present. */
export function bootstrapDestination (addr: string): Destination {
  const ma = multiaddr(addr)
  const id = ma.getComponents().find(c => c.name === 'p2p')?.value
  return id === undefined ? { addrs: [ma.toString()] } : { id, addrs: [ma.toString()] }
}

function defaultName (transport: Libp2pTransport): string {
  const port = transport.addresses().map(a => /\/tcp\/(\d+)/.exec(a)?.[1]).find(p => p !== undefined)
  return port === undefined ? hostname() : `${hostname()}:${port}`
}

/**
 * Starts a peer: listens, joins through `bootstrap` (in the background: a peer alone is a valid mesh of
 * one and keeps re-trying its seeds), and serves documents.
 * @throws UnsupportedRuntimeError, ConfigError (an option it cannot use, named: checked before anything
 *   opens), IdentityError, PskError, StoreLockedError; whatever it opened is closed again before it throws.
 */
export async function createPeer (options: PeerOptions = {}): Promise<Peer> {
  const major = Number(process.versions.node.split('.')[0])
  if (major < MIN_NODE_MAJOR) throw new UnsupportedRuntimeError(`murmur needs Node ${MIN_NODE_MAJOR} or newer; this is ${process.version}`)
  checkPeerOptions(options)
  const log = options.logger ?? defaultLibraryLogger()
  const bootstrap = options.bootstrap ?? []
  // DNS names are resolved here, every record joined (libp2p would dial one); IP addresses are seeds as they are.
  const dnsNamed = bootstrap.flatMap(a => dnsSeed(a) ?? [])
  const seeds = bootstrap.filter(a => dnsSeed(a) === undefined).map(bootstrapDestination)
  // Owner-only data dir (identity key, documents), before anything is created in it.
  if (options.dataDir !== undefined) await ensurePrivateDir(options.dataDir, log)
  // Open the store first: a data dir locked by another running peer must fail before we listen.
  const store: DocStore = options.dataDir === undefined
    ? new MemoryDocStore()
    : await openLevelDocStore(path.join(options.dataDir, DOCS_DIR), { log })
  let transport: Libp2pTransport
  try {
    transport = await createLibp2pTransport({
      ...(options.listen === undefined ? {} : { listen: options.listen }),
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(options.psk === undefined ? {} : { psk: options.psk }),
      ...(options.allowPeers === undefined ? {} : { allowPeers: options.allowPeers }),
      mdns: typeof options.mdns === 'object' ? { serviceTag: mdnsServiceTag(options.mdns.cluster) } : options.mdns ?? false,
      ...(options.advertise === undefined ? {} : { announce: options.advertise }),
      ...(options.datagrams === undefined ? {} : { datagrams: options.datagrams }),
      logger: log
    })
  } catch (err) {
    await store.close()
    throw err
  }
  const mdns = options.mdns !== undefined && options.mdns !== false
  let dns: DnsSeeds | undefined
  // The members this peer last saw alive (a data dir's members.json): extra seeds, hints that leave
  // readiness alone. Without them the peer that started the mesh came back alone after a graceful stop.
  const rejoin = options.dataDir !== undefined && options.rejoin !== false
  const remembered = rejoin ? await readRememberedMembers(options.dataDir as string, transport.localId, log) : []
  let memory: MemberMemory | undefined
  // Settings only the protocol modules check (membership, replication, presence) throw here, once the
  // transport listens: close it and the store, or their handles keep the caller's process alive.
  let node: MeshNode
  try {
    node = createMeshNode({
      transport,
      clock: new SystemClock(),
      random: systemRandom(),
      store,
      log,
      faults: { block: (ids) => { transport.block(ids) }, unblock: (ids) => { transport.unblock(ids) }, heal: () => { transport.heal() }, blocked: () => transport.blockedPeers() },
      transportStats: () => ({ ...transport.stats() }),
      storeStats: () => store instanceof LevelDocStore ? store.stats() : undefined,
      resolveAddrs: async (addrs) => {
        checkAddrs('join', addrs)
        const named = addrs.flatMap(a => dnsSeed(a) ?? [])
        const unresolved: JoinFailure[] = []
        const resolved = named.length === 0 ? [] : await resolveSeeds(named, systemResolver, log, (s, error) => { unresolved.push({ addr: s.addr, reason: `the name ${s.host} did not resolve (${error})` }) })
        return { destinations: [...addrs.filter(a => dnsSeed(a) === undefined), ...resolved].map(bootstrapDestination), unresolved }
      },
      setAllowedPeers: (ids) => {
        if (ids !== undefined) checkPeerIds('setAllowedPeers', ids)
        transport.setAllowPeers(ids)
      },
      wallTime: Date.now,
      nobodyToJoin: () => !mdns && seeds.every(d => isOwnSeed(d, transport)) && (dnsNamed.length === 0 || dns?.nobodyToJoin === true),
      isOwnSeed: d => isOwnSeed(d, transport),
      close: async () => {
        // The members alive as this peer stops (a graceful leave keeps them alive in its table).
        await memory?.stop()
        await transport.close()
        await store.close()
      }
    }, {
      name: options.name ?? defaultName(transport),
      ...(options.tags === undefined ? {} : { tags: options.tags }),
      seeds,
      profile: options.profile ?? 'lan',
      ...(options.membership === undefined ? {} : { membership: options.membership }),
      ...(options.replication === undefined ? {} : { replication: options.replication }),
      ...(options.presence === undefined ? {} : { presence: options.presence })
    })
  } catch (err) {
    await transport.close()
    await store.close()
    throw err
  }
  // As the bootstrap seeds are joined: at once, not after the store's list of docs was read.
  if (rejoin) {
    memory = new MemberMemory({ dataDir: options.dataDir as string, log, selfId: node.id, alive: () => node.membership.alivePeers(), remembered })
    memory.start()
    rejoinThrough(node, remembered, seeds.length, log)
  }
  await node.started
  transport.onDiscovered((dest) => { void node.membership.join([dest]) })
  if (dnsNamed.length > 0) {
    const seedsByDns = new DnsSeeds({
      seeds: dnsNamed,
      resolve: systemResolver,
      log: log.child('bootstrap'),
      self: () => transport.addresses(),
      alive: () => node.membership.alivePeers().flatMap(m => m.addrs),
      join: (addrs) => { void node.membership.join(addrs.map(bootstrapDestination)) },
      running: () => node.membership.isRunning
    })
    dns = seedsByDns
    node.on('member', (e) => {
      if (e.member.peerId === node.id) return
      if (e.type === 'joined' || e.type === 'alive') seedsByDns.sawMember()
      else if ((e.type === 'dead' || e.type === 'left') && node.membership.alivePeers().length === 0) seedsByDns.wake()
    })
    seedsByDns.start()
  }
  return node
}

/**
 * Joins through the remembered members in the background, as through bootstrap seeds: membership keeps
 * re-trying them while nobody else is alive. They never push a bootstrap seed out of membership's
 * MAX_SEEDS.
 */
function rejoinThrough (node: MeshNode, remembered: readonly RememberedMember[], bootstrapSeeds: number, log: Logger): void {
  const seeds = rememberedSeeds(remembered).slice(0, Math.max(0, MAX_SEEDS - bootstrapSeeds))
  if (seeds.length === 0) return
  log.info(`rejoining through ${seeds.length} remembered member(s)`)
  void node.membership.join(seeds).then(({ contacted }) => {
    if (contacted === 0) log.info('no remembered member answered yet; retrying in the background while alone', { members: seeds.length })
  }, () => {})
}

/** Whether a bootstrap destination is this peer itself (by id, or by its own addresses). */
function isOwnSeed (d: Destination, transport: Libp2pTransport): boolean {
  if (d.id !== undefined) return d.id === transport.localId
  if (d.addrs.length === 0) return false
  const own = new Set(transport.addresses().map(bare))
  return d.addrs.every(a => own.has(bare(a)))
}
