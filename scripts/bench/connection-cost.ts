/**
 * `npm run bench -- connection-cost`: the CPU one new connection costs, both ends together, in murmur's
 * libp2p stack (src/net/node.ts: TCP, Noise, yamux) beside js-libp2p's usual stack (the same plus
 * identify, which murmur dropped for issue 14).
 *
 * After a partition heals, every pair of members across it needs a new connection (a 6 | 24 split at 30
 * peers: 144), on peers that are already busy: the heal's length follows from this cost. Two nodes in this
 * one process, one dialling the other over 127.0.0.1, `--connections` times in a row; each connection
 * opens a stream each way on murmur's own protocol (as a probe and its ack would), then closes. CPU is the
 * process's own (user + system), so other load on the machine changes it less than it changes wall time.
 * Rounds alternate the two stacks, to spread the machine's noise over both.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { createMurmurNode } from '../../dist/net/node.js'
import { readFlags } from './lib/flags.ts'
import { UsageError, median, progress, round, table, writeSection } from './lib/report.ts'

export const USAGE = 'options: --connections 200 (per round and stack)  --rounds 3'

const PROTOCOL = '/murmur/bench/1.0.0'
/** Each connection's streams: one request and its answer, a few bytes, as a probe and its ack. */
const PAYLOAD = new Uint8Array(64)

interface Options { connections: number, rounds: number }

function parse (args: string[]): Options {
  const o: Options = { connections: 200, rounds: 3 }
  readFlags(args, USAGE, {
    numbers: {
      '--connections': n => { o.connections = n },
      '--rounds': n => { o.rounds = n }
    }
  })
  if (!Number.isInteger(o.connections) || o.connections < 10 || o.connections > 10_000) throw new UsageError('--connections must be an integer in [10, 10000]')
  if (!Number.isInteger(o.rounds) || o.rounds < 1 || o.rounds > 20) throw new UsageError('--rounds must be an integer in [1, 20]')
  return o
}

type Stack = 'murmur' | 'libp2p+identify'
const STACKS: readonly Stack[] = ['murmur', 'libp2p+identify']

async function makeNode (stack: Stack): Promise<Libp2p> {
  const privateKey = await generateKeyPair('Ed25519')
  if (stack === 'murmur') {
    return await createMurmurNode({
      privateKey,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      announce: [],
      gater: {},
      dialTimeoutMs: 10_000,
      inboundUpgradeTimeoutMs: 10_000,
      maxConnections: 64,
      // One host dials hundreds of times a second here: libp2p's per-host inbound rate limit must not count.
      inboundConnectionThreshold: 1_000_000,
      maxIncomingPendingConnections: 64
    })
  }
  return await createLibp2p({
    privateKey,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: { inboundConnectionThreshold: 1_000_000, maxIncomingPendingConnections: 64 },
    connectionMonitor: { enabled: false },
    services: { identify: identify() }
  })
}

/** Echoes one message back on each inbound stream of PROTOCOL. */
async function serve (node: Libp2p): Promise<void> {
  await node.handle(PROTOCOL, async (stream) => {
    for await (const chunk of stream) {
      stream.send(chunk.subarray())
      break
    }
    await stream.close()
  })
}

interface Round { stack: Stack, cpuMs: number, wallMs: number }

async function round1 (stack: Stack, connections: number): Promise<Round> {
  const [a, b] = await Promise.all([makeNode(stack), makeNode(stack)])
  try {
    await Promise.all([serve(a), serve(b)])
    const addrA = a.getMultiaddrs()[0]
    const addrB = b.getMultiaddrs()[0]
    if (addrA === undefined || addrB === undefined) throw new Error('a node has no listen address')
    const once = async (): Promise<void> => {
      const conn = await a.dial(addrB)
      // A ping from the dialler and its answer; then one from the other end, as an ack over its own stream.
      for (const [from, to] of [[a, addrB], [b, addrA]] as const) {
        const stream = from === a ? await conn.newStream(PROTOCOL) : await from.dialProtocol(to, PROTOCOL)
        stream.send(PAYLOAD)
        for await (const _ of stream) break
        await stream.close()
      }
      await conn.close()
    }
    for (let i = 0; i < Math.min(20, connections); i++) await once() // these two nodes' first connections, not counted
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    for (let i = 0; i < connections; i++) await once()
    const cpu = process.cpuUsage(cpu0)
    return { stack, cpuMs: (cpu.user + cpu.system) / 1000 / connections, wallMs: (performance.now() - t0) / connections }
  } finally {
    await Promise.all([a.stop(), b.stop()])
  }
}

export async function main (args: string[]): Promise<void> {
  const o = parse(args)
  // The process's first connections pay for compiling the code paths: a round of each stack, not counted.
  progress('warm-up: 50 connections with each stack (not counted)')
  for (const stack of STACKS) await round1(stack, 50)
  const rounds: Round[] = []
  for (let r = 0; r < o.rounds; r++) {
    for (const stack of r % 2 === 0 ? STACKS : [...STACKS].reverse()) {
      progress(`round ${r + 1}/${o.rounds}: ${stack}, ${o.connections} connections`)
      const one = await round1(stack, o.connections)
      progress(`  ${round(one.cpuMs, 2)} ms CPU, ${round(one.wallMs, 2)} ms wall a connection`)
      rounds.push(one)
    }
  }
  const of = (stack: Stack, key: 'cpuMs' | 'wallMs'): number => median(rounds.filter(x => x.stack === stack).map(x => x[key]))
  const rows = STACKS.map(stack => [stack, round(of(stack, 'cpuMs'), 2), round(of(stack, 'wallMs'), 2), rounds.filter(x => x.stack === stack).map(x => round(x.cpuMs, 1)).join(', ')])
  const ratio = of('murmur', 'cpuMs') / of('libp2p+identify', 'cpuMs')
  const body = [
    `Two nodes in one process over 127.0.0.1; per connection: dial, Noise XX, yamux, a 64-byte request and answer on a stream each way, close. CPU of both ends together (the process's user + system time); median of ${o.rounds} rounds of ${o.connections} connections per stack, rounds alternating, after an uncounted warm-up round of each.`,
    '',
    table(['stack', 'CPU ms a connection', 'wall ms a connection', 'CPU ms per round'], rows),
    '',
    `murmur / libp2p+identify CPU: **${round(ratio, 2)}**. identify runs on every new connection (a stream and a signed peer record each way); murmur's member records already carry the addresses it tells, so murmur's node does without it (src/net/node.ts).`
  ].join('\n')
  process.stdout.write(`${body}\n`)
  writeSection('connection-cost', 'Connection cost (issue 14)', `npm run bench -- connection-cost${args.length > 0 ? ` ${args.join(' ')}` : ''}`, body)
  process.stdout.write(`${JSON.stringify({ connections: o.connections, rounds: o.rounds, cpuMsPerConnection: { murmur: round(of('murmur', 'cpuMs'), 3), libp2pIdentify: round(of('libp2p+identify', 'cpuMs'), 3) }, wallMsPerConnection: { murmur: round(of('murmur', 'wallMs'), 3), libp2pIdentify: round(of('libp2p+identify', 'wallMs'), 3) }, cpuRatio: round(ratio, 3) })}\n`)
}
