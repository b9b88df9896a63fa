/**
 * The N app processes of a run: start, SIGKILL, restart with the same data dir (same identity, same ports),
 * and stop. Peer i is always index i, whatever process currently serves it, so the history and the checker
 * never deal with process objects. Loopback (all on 127.0.0.1, ephemeral ports) or one netns per peer.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type { NetnsLab } from '../lib/netns.ts'
import type { PeerProcess } from '../lib/peers.ts'
import { httpPortOf, launch, tcpPortOf } from './launch.ts'

/** Banner within this long, or the start failed (a cold Node + libp2p start takes 1–3 s on 2 busy cores). */
const START_TIMEOUT_MS = 30_000
/** After SIGKILL the kernel reaps at once; this only bounds a wedged exit. */
const EXIT_TIMEOUT_MS = 5_000
/** Fixed ports inside each namespace: every peer has its own IP there, so they never clash. */
const NETNS_TCP_PORT = 4001
const NETNS_HTTP_PORT = 8080

export interface ClusterOptions {
  size: number
  entry: string
  /** Run dir: data-<i>/ and peer-<i>.log live here. */
  dir: string
  profile: 'local' | 'lan'
  lab?: NetnsLab
  signal: AbortSignal
}

export interface Node {
  readonly index: number
  readonly dataDir: string
  readonly logFile: string
  /** The running process; undefined while killed. */
  proc: PeerProcess | undefined
  /** Peer id (stable across restarts: same data dir, same identity key). */
  id: string
  tcpPort: number
  httpPort: number
  restarts: number
  /** How its process ended, when it exited by itself (not by kill or stopAll): a crash the run must name. */
  crashed: string | undefined
}

export class Cluster {
  readonly nodes: Node[]
  /** Bearer token of every HTTP API: mandatory when HTTP is not on loopback (netns mode). */
  private readonly token: string | undefined
  private readonly o: ClusterOptions

  constructor (o: ClusterOptions) {
    this.o = o
    this.token = o.lab === undefined ? undefined : randomBytes(18).toString('base64url')
    this.nodes = Array.from({ length: o.size }, (_, index) => {
      const dataDir = path.join(o.dir, `data-${index}`)
      mkdirSync(dataDir, { recursive: true })
      const netns = o.lab !== undefined
      return {
        index,
        dataDir,
        logFile: path.join(o.dir, `peer-${index}.log`),
        proc: undefined,
        id: '',
        tcpPort: netns ? NETNS_TCP_PORT : 0,
        httpPort: netns ? NETNS_HTTP_PORT : 0,
        restarts: 0,
        crashed: undefined
      }
    })
  }

  get size (): number { return this.nodes.length }

  /** Nodes whose process is running. */
  up (): Node[] { return this.nodes.filter(n => n.proc !== undefined) }

  isUp (i: number): boolean { return this.node(i).proc !== undefined }

  node (i: number): Node {
    const n = this.nodes[i]
    if (n === undefined) throw new RangeError(`no peer ${i}`)
    return n
  }

  /** The running process of peer i; throws if it is down. */
  proc (i: number): PeerProcess {
    const p = this.node(i).proc
    if (p === undefined) throw new Error(`peer ${i} is down`)
    return p
  }

  /** Starts peer 0, then all others joining through it (in parallel: start-up dominates a run's time). */
  async startAll (): Promise<void> {
    await this.start(0, [])
    const seed = this.proc(0).addrs[0] as string
    await Promise.all(this.nodes.slice(1).map(async n => { await this.start(n.index, [seed]) }))
  }

  /** Starts (or restarts) peer i, joining through `bootstrap`. Ports are those of its previous life. */
  async start (i: number, bootstrap: readonly string[]): Promise<PeerProcess> {
    const n = this.node(i)
    if (n.proc !== undefined) throw new Error(`peer ${i} is already running`)
    const lab = this.o.lab
    const proc = await launch({
      entry: this.o.entry,
      dataDir: n.dataDir,
      listenHost: lab === undefined ? '127.0.0.1' : lab.dataIp(i),
      httpHost: lab === undefined ? '127.0.0.1' : lab.mgmtIp(i),
      tcpPort: n.tcpPort,
      httpPort: n.httpPort,
      ...(lab === undefined ? {} : { netns: lab.names[i] as string }),
      ...(this.token === undefined ? {} : { token: this.token }),
      bootstrap,
      args: ['--profile', this.o.profile, '--name', `p${i}`],
      logFile: n.logFile,
      startTimeoutMs: START_TIMEOUT_MS,
      signal: this.o.signal
    })
    if (n.id !== '' && proc.id !== n.id) throw new Error(`peer ${i} came back as ${proc.id}, not ${n.id}: the data dir did not keep its identity`)
    n.proc = proc
    n.id = proc.id
    // kill() forgets the process before it signals it, so only an exit nobody here asked for is a crash.
    void proc.exited.then(({ code, signal }) => {
      if (n.proc === proc) n.crashed ??= `peer ${i} (p${i}) exited by itself (${signal ?? `exit code ${String(code)}`}), not killed by this run: see ${n.logFile}`
    })
    // Keep the ports for a restart, so that the address other members remember stays right (as a daemon's would).
    n.tcpPort = tcpPortOf(proc.addrs[0] as string)
    n.httpPort = httpPortOf(proc.http)
    return proc
  }

  /** @throws naming the first peer whose process exited by itself (a crash is the run's finding, not noise). */
  assertNoCrash (): void {
    const crashed = this.nodes.find(n => n.crashed !== undefined)?.crashed
    if (crashed !== undefined) throw new Error(crashed)
  }

  /** SIGKILL: no leave, no flush beyond what was already acknowledged as durable. */
  async kill (i: number): Promise<void> {
    const n = this.node(i)
    const p = n.proc
    if (p === undefined) return
    n.proc = undefined
    p.proc.kill('SIGKILL')
    await withTimeout(p.exited, EXIT_TIMEOUT_MS, `peer ${i} did not exit after SIGKILL`)
  }

  /** Restarts a killed peer with its data dir, joining through every peer that is up. */
  async restart (i: number): Promise<void> {
    const bootstrap = this.up().map(n => n.proc?.addrs[0]).filter((a): a is string => a !== undefined)
    const n = this.node(i)
    n.restarts++
    try {
      await this.start(i, bootstrap)
    } catch (err) {
      if (this.o.lab !== undefined || this.o.signal.aborted) throw err
      // Its old loopback ports were taken meanwhile (other tests share this machine): fresh ones will do.
      n.tcpPort = 0
      n.httpPort = 0
      await this.start(i, bootstrap)
    }
  }

  /** SIGKILLs every process (the run is over: a graceful leave would only slow the teardown down). */
  async stopAll (): Promise<void> {
    await Promise.all(this.nodes.map(async n => { await this.kill(n.index).catch(() => {}) }))
  }
}

async function withTimeout<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(what)) }, ms) })])
  } finally {
    clearTimeout(timer)
  }
}
