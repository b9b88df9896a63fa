/**
 * The naive baseline of the replication benchmark: a Yjs doc whose local updates are flooded over
 * @libp2p/gossipsub, and nothing else — no version vectors, no anti-entropy. Not part of murmur; it shows
 * what the anti-entropy in murmur is for: an update published while a peer is unreachable never reaches
 * it, even after connectivity is back.
 *
 * It is deliberately not hobbled: libp2p defaults (including the connection monitor that drops dead
 * connections), flood publishing, and a re-dial of every known peer every 2 s, so the connections and the
 * gossipsub mesh do come back after a heal.
 *
 *   node scripts/bench/baseline/gossip-peer.ts --listen <ip:port> --http <ip:port>
 *
 * HTTP (JSON): PUT /kv/:key (body: any JSON value) sets it and publishes the update; GET /state answers
 * {id, digest, keys, connected, topicPeers}; GET /keys lists the kv keys; POST /peers {addrs} sets the peers
 * to stay connected to.
 */
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub } from '@libp2p/gossipsub'
import type { GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import * as Y from 'yjs'

const TOPIC = 'murmur-bench/yjs-updates'
const REDIAL_MS = 2_000
const MAX_BODY_BYTES = 1 << 20
const REMOTE = Symbol('remote')

function flag (name: string): string {
  const i = process.argv.indexOf(name)
  const value = i < 0 ? undefined : process.argv[i + 1]
  if (value === undefined) {
    process.stderr.write(`usage: gossip-peer.ts --listen <ip:port> --http <ip:port> (missing ${name})\n`)
    process.exit(2)
  }
  return value
}

const [listenHost, listenPort] = flag('--listen').split(':')
const [httpHost, httpPort] = flag('--http').split(':')

const node = await createLibp2p({
  addresses: { listen: [`/ip4/${listenHost ?? ''}/tcp/${listenPort ?? '0'}`] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: {
    identify: identify(),
    pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false })
  }
})
const pubsub = node.services.pubsub as GossipSub
const doc = new Y.Doc()
const kv = doc.getMap('kv')

doc.on('update', (update: Uint8Array, origin: unknown) => {
  if (origin === REMOTE) return
  void pubsub.publish(TOPIC, update).catch((err: unknown) => { process.stderr.write(`publish failed: ${String(err)}\n`) })
})
pubsub.addEventListener('message', (evt) => {
  if (evt.detail.topic !== TOPIC) return
  try {
    Y.applyUpdate(doc, evt.detail.data, REMOTE)
  } catch (err) {
    process.stderr.write(`bad update: ${String(err)}\n`)
  }
})
pubsub.subscribe(TOPIC)

// Stay connected to every known peer: the mesh must be able to re-form after a heal.
let peers: Multiaddr[] = []
const redial = setInterval(() => {
  const connected = new Set(node.getConnections().map(c => c.remotePeer.toString()))
  for (const addr of peers) {
    const id = addr.getComponents().find(c => c.name === 'p2p')?.value
    if (id !== undefined && !connected.has(id)) void node.dial(addr, { signal: AbortSignal.timeout(REDIAL_MS) }).catch(() => {})
  }
}, REDIAL_MS)

/** The convergence digest murmur uses too: SHA-256 of the snapshot (state vector + delete set). */
const digest = (): string => createHash('sha256').update(Y.encodeSnapshot(Y.snapshot(doc))).digest('hex')

async function body (req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new Error('body too large')
    chunks.push(chunk as Buffer)
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'))
}

function json (res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(value))
}

const server = createServer((req, res) => {
  void (async () => {
    const path = req.url ?? '/'
    const key = /^\/kv\/([^/]+)$/.exec(path)?.[1]
    if (req.method === 'PUT' && key !== undefined) {
      const value = await body(req)
      kv.set(decodeURIComponent(key), value)
      json(res, 200, { ok: true })
    } else if (req.method === 'GET' && path === '/state') {
      json(res, 200, {
        id: node.peerId.toString(),
        digest: digest(),
        keys: kv.size,
        connected: node.getConnections().map(c => c.remotePeer.toString()),
        topicPeers: pubsub.getSubscribers(TOPIC).length
      })
    } else if (req.method === 'GET' && path === '/keys') {
      json(res, 200, [...kv.keys()])
    } else if (req.method === 'POST' && path === '/peers') {
      const b = await body(req) as { addrs?: unknown }
      peers = (Array.isArray(b.addrs) ? b.addrs : []).filter((a): a is string => typeof a === 'string').map(a => multiaddr(a))
      json(res, 200, { peers: peers.length })
    } else {
      json(res, 404, { error: 'no such route' })
    }
  })().catch((err: unknown) => { json(res, 400, { error: String(err) }) })
})
server.listen(Number(httpPort), httpHost, () => {
  process.stdout.write(`baseline peer ${node.peerId.toString()}\n  listen ${node.getMultiaddrs()[0]?.toString() ?? ''}\n  http   http://${httpHost ?? ''}:${httpPort ?? ''}\n`)
})

const stop = (): void => {
  clearInterval(redial)
  server.close()
  void Promise.resolve(node.stop()).finally(() => { process.exit(0) })
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
