/**
 * The naive baseline through the same 5|5 partition as murmur: gossipsub-flooded Yjs updates converge while
 * the network is whole, and do not after a heal — even once every connection and the gossipsub mesh are
 * back — because nothing ever re-sends what a peer missed.
 */
import type { NetnsLab } from '../../lib/netns.ts'
import { baselineKeys, baselinePut, baselineState, connectAll, spawnBaseline } from './baseline-mesh.ts'
import type { BaselinePeer, BaselineState } from './baseline-mesh.ts'
import { progress, round } from './report.ts'
import type { Rng } from './rng.ts'
import { randomText } from './replication-phases.ts'

export interface BaselineFigures {
  peers: number
  /** Without a partition: writes on every peer reached every peer (the baseline works). */
  warmupConverged: boolean
  warmupMs: number | undefined
  /** Cut → no connection across the cut left (libp2p's connection monitor dropped them). */
  disconnectedMs: number | undefined
  writesPerSide: number
  holdSeconds: number
  /** Heal → every peer connected to all others and subscribed to by all (gossipsub mesh back). */
  reconnectedMs: number | undefined
  observeSeconds: number
  /** After the observation window: distinct digests among the peers (1 = converged). */
  distinctDigests: number
  /** Updates (keys) each peer lacks out of all written, min–max over peers. */
  missingMin: number
  missingMax: number
  totalKeys: number
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** Polls `check` every 250 ms until it holds or `timeoutMs` passes; the elapsed ms, or undefined. */
async function until (check: () => Promise<boolean>, timeoutMs: number): Promise<number | undefined> {
  const t0 = performance.now()
  while (performance.now() - t0 < timeoutMs) {
    if (await check()) return performance.now() - t0
    await sleep(250)
  }
  return undefined
}

const states = async (peers: readonly BaselinePeer[]): Promise<BaselineState[]> => await Promise.all(peers.map(baselineState))

export async function baselinePhase (lab: NetnsLab, slots: readonly number[], rng: Rng, writesPerSide: number, chars: number, holdSeconds: number, observeSeconds: number): Promise<BaselineFigures> {
  const peers = await Promise.all(slots.map(async ns => await spawnBaseline(lab, ns)))
  const n = peers.length
  await connectAll(peers)
  const meshed = await until(async () => (await states(peers)).every(s => s.connected.length >= n - 1 && s.topicPeers >= n - 1), 60_000)
  progress(`baseline: ${n} gossipsub peers ${meshed === undefined ? 'did NOT all connect within 60 s' : `connected and subscribed after ${round(meshed / 1000, 1)} s`}`)

  await Promise.all(peers.map(async (p, i) => { await baselinePut(p, `warm-${i}`, i) }))
  const warmupMs = await until(async () => {
    const s = await states(peers)
    return s.every(x => x.keys === n && x.digest === s[0]?.digest)
  }, 20_000)

  const cut = Math.ceil(n / 2)
  const sides = [peers.slice(0, cut), peers.slice(cut)] as const
  const sideOf = new Map(peers.map((p, i) => [p.id, i < cut ? 0 : 1]))
  lab.split(sides.map(s => s.map(p => p.ns)))
  const disconnectedMs = await until(async () => (await states(peers)).every((s, i) => s.connected.every(id => sideOf.get(id) === (i < cut ? 0 : 1))), 90_000)
  progress(`baseline: partition ${cut}|${n - cut}; cross-cut connections ${disconnectedMs === undefined ? 'still open after 90 s' : `gone after ${round(disconnectedMs / 1000, 1)} s`}; writing`)

  await Promise.all(sides.map(async (side) => {
    for (let i = 0; i < writesPerSide; i++) {
      const p = side[i % side.length] as BaselinePeer
      await baselinePut(p, `${p.name}-${i}`, randomText(rng, chars))
    }
  }))
  await until(async () => (await Promise.all(sides.map(async side => await states(side)))).every(s => s.every(x => x.digest === s[0]?.digest)), 30_000)
  // Held like murmur's: by the heal the writes are older than gossipsub's message cache (mcacheLength 5 ×
  // 1 s heartbeat), whose IHAVE/IWANT gossip would otherwise re-deliver the last few seconds of them.
  await sleep(holdSeconds * 1000)

  lab.heal()
  const reconnectedMs = await until(async () => (await states(peers)).every(s => s.connected.length >= n - 1 && s.topicPeers >= n - 1), 60_000)
  progress(`baseline: healed; ${reconnectedMs === undefined ? 'NOT all reconnected within 60 s' : `all reconnected and subscribed after ${round(reconnectedMs / 1000, 1)} s`}; observing ${observeSeconds} s`)
  await sleep(observeSeconds * 1000)
  const final = await states(peers)
  const keys = await Promise.all(peers.map(baselineKeys))
  const totalKeys = new Set(keys.flat()).size
  const missing = keys.map(k => totalKeys - k.length)
  for (const p of peers) p.proc.kill('SIGKILL')
  return {
    peers: n,
    warmupConverged: warmupMs !== undefined,
    warmupMs: warmupMs === undefined ? undefined : round(warmupMs),
    disconnectedMs: disconnectedMs === undefined ? undefined : round(disconnectedMs),
    writesPerSide,
    holdSeconds,
    reconnectedMs: reconnectedMs === undefined ? undefined : round(reconnectedMs),
    observeSeconds,
    distinctDigests: new Set(final.map(s => s.digest)).size,
    missingMin: Math.min(...missing),
    missingMax: Math.max(...missing),
    totalKeys
  }
}
