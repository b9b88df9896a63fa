/**
 * A hostile member, for test/membership/hostile-member-process.test.ts only — not a feature of the product.
 *
 * It holds the mesh's pre-shared key and runs the real membership (it joins, probes and is probed like
 * any member), plus a modified sender that, once told to attack, sends every honest member, ten times a
 * second: acks for pings it never received (random sequence numbers), `left` and `alive` records in other
 * members' names (signed by nobody; the alive ones with other tags and incarnations far ahead, including
 * revivals of a member that left and refutations for one that crashed), suspicions with incarnations near
 * 2³², and push-pull requests, 50 a second. It stays under the inbound frame rate (200 a second per
 * peer), so that every forged frame reaches the member and is refused by membership itself.
 *
 * Usage: node test/membership/hostile-peer.ts --psk <file> --bootstrap <multiaddr> [--profile local|lan]
 * (also driven by `npm run bench -- hostile`, scripts/bench/hostile.ts).
 * stdout: `hostile <peerId>` once joined; `report <json>` on request. stdin: `attack <crashed> <departed>`,
 * `report`, `quiet`.
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { SystemClock } from '../../dist/core/clock.js'
import { createLogger } from '../../dist/core/logger.js'
import { systemRandom } from '../../dist/core/random.js'
import { Channel } from '../../dist/core/transport.js'
import type { Destination, FrameHandler, PeerEvent, Transport } from '../../dist/core/transport.js'
import { decodeSwim, encodeSwim } from '../../dist/membership/codec.js'
import type { SwimMessage } from '../../dist/membership/codec.js'
import { Membership } from '../../dist/membership/index.js'
import type { MemberInfo, MemberUpdate } from '../../dist/membership/index.js'
import { createLibp2pTransport } from '../../dist/net/index.js'
import { bootstrapDestination } from '../../dist/peer-node.js'

const TICK_MS = 100
const ACKS_PER_TICK = 3
const PUSH_PULLS_PER_TICK = 5
/** Far enough ahead that a forged record always claims to supersede what the target holds. */
const AHEAD = 10_000
const NEAR_MAX = 4_000_000_000

type Counts = Record<string, number>
const sent = { acks: {} as Counts, left: {} as Counts, alive: {} as Counts, suspectHuge: {} as Counts, pushPulls: {} as Counts, replies: {} as Counts }
const add = (c: Counts, id: string, n: number): void => { c[id] = (c[id] ?? 0) + n }

function arg (name: string, fallback?: string): string {
  const i = process.argv.indexOf(name)
  const v = i >= 0 ? process.argv[i + 1] : fallback
  if (v === undefined) {
    process.stderr.write(`hostile-peer: ${name} is required\n`)
    process.exit(2)
  }
  return v
}

function profileArg (): 'local' | 'lan' {
  const p = arg('--profile', 'local')
  if (p !== 'local' && p !== 'lan') {
    process.stderr.write(`hostile-peer: --profile must be local or lan, got ${p}\n`)
    process.exit(2)
  }
  return p
}

/** The real transport, with the push-pull replies it delivers counted on the way. */
class CountingTransport implements Transport {
  readonly localId: string
  readonly signer: Transport['signer']
  private readonly inner: Transport
  constructor (inner: Transport) {
    this.inner = inner
    this.localId = inner.localId
    this.signer = inner.signer
  }

  addresses (): string[] { return this.inner.addresses() }
  maxFrameBytes (channel: Channel): number { return this.inner.maxFrameBytes(channel) }
  send (channel: Channel, to: Destination, frame: Uint8Array): void { this.inner.send(channel, to, frame) }
  onPeerEvent (handler: (event: PeerEvent) => void): () => void { return this.inner.onPeerEvent(handler) }
  forget (id: string): void { this.inner.forget?.(id) }
  onFrame (channel: Channel, handler: FrameHandler): () => void {
    return this.inner.onFrame(channel, (from, frame) => {
      if (channel === Channel.swim) {
        try {
          const msg = decodeSwim(frame, this.inner.maxFrameBytes(channel))
          if (msg.type === 'pushPullReply' && msg.page === 0) add(sent.replies, from, 1)
        } catch {}
      }
      handler(from, frame)
    })
  }
}

const quiet = createLogger(() => {}, 'error')
const libp2p = await createLibp2pTransport({ listen: ['/ip4/127.0.0.1/tcp/0'], psk: readFileSync(arg('--psk')), logger: quiet })
const transport = new CountingTransport(libp2p)
const membership = new Membership({ transport, clock: new SystemClock(), random: systemRandom() }, { profile: profileArg(), name: 'hostile', seeds: [bootstrapDestination(arg('--bootstrap'))] })
membership.start()
await membership.join()
process.stdout.write(`hostile ${libp2p.localId}\n`)

const forgedSignature = (): Uint8Array => new Uint8Array(randomBytes(64))
const send = (to: MemberInfo, msg: SwimMessage): void => { libp2p.send(Channel.swim, { id: to.id, addrs: to.addrs }, encodeSwim(msg)) }

function forgeries (target: MemberInfo, crashed: string, departed: string): MemberUpdate[] {
  const out: MemberUpdate[] = []
  for (const y of membership.members()) {
    if (y.id === target.id || y.id === libp2p.localId) continue
    const meta = { name: y.name, addrs: y.addrs, tags: { forged: 'yes' } }
    if (y.id === crashed || y.id === departed) {
      // A refutation for the crashed member, a return for the one that left.
      out.push({ state: 'alive', id: y.id, incarnation: y.incarnation + 1 + Math.floor(Math.random() * AHEAD), from: '', meta, signature: forgedSignature() })
      add(sent.alive, target.id, 1)
      continue
    }
    if (y.state !== 'alive' && y.state !== 'suspect') continue
    out.push({ state: 'left', id: y.id, incarnation: y.incarnation + AHEAD, from: y.id, meta: { name: y.name, addrs: y.addrs, tags: y.tags }, signature: forgedSignature() })
    add(sent.left, target.id, 1)
    out.push({ state: 'alive', id: y.id, incarnation: NEAR_MAX + Math.floor(Math.random() * 1000), from: '', meta, signature: forgedSignature() })
    add(sent.alive, target.id, 1)
    out.push({ state: 'suspect', id: y.id, incarnation: NEAR_MAX + Math.floor(Math.random() * 1000), from: libp2p.localId })
    add(sent.suspectHuge, target.id, 1)
  }
  return out
}

let attack: ReturnType<typeof setInterval> | undefined
function startAttack (crashed: string, departed: string): void {
  clearInterval(attack) // one attack at a time, however often it is asked for
  attack = setInterval(() => {
    for (const target of membership.members()) {
      if (target.id === libp2p.localId || target.state !== 'alive') continue
      for (let i = 0; i < ACKS_PER_TICK; i++) send(target, { type: 'ack', seq: Math.floor(Math.random() * 0x1_0000_0000), gossip: [] })
      add(sent.acks, target.id, ACKS_PER_TICK)
      send(target, { type: 'gossip', gossip: forgeries(target, crashed, departed) })
      for (let i = 0; i < PUSH_PULLS_PER_TICK; i++) send(target, { type: 'pushPull', seq: Math.floor(Math.random() * 0x1_0000_0000), page: 0, join: false, members: [], gossip: [] })
      add(sent.pushPulls, target.id, PUSH_PULLS_PER_TICK)
    }
  }, TICK_MS)
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, ...args] = line.trim().split(/\s+/)
  if (command === 'attack') startAttack(args[0] ?? '', args[1] ?? '')
  else if (command === 'quiet') clearInterval(attack)
  else if (command === 'report') process.stdout.write(`report ${JSON.stringify(sent)}\n`)
})

async function shutdown (): Promise<void> {
  clearInterval(attack)
  membership.stop()
  await libp2p.close()
  process.exit(0)
}
process.on('SIGTERM', () => { void shutdown() })
process.on('SIGINT', () => { void shutdown() })
