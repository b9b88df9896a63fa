/**
 * What the nemesis does in a round, drawn from the seed: pure data, no I/O, so a seed replays the same
 * sequence of faults whatever the timing of the run.
 */
import type { Random } from '../../dist/core/random.js'
import type { FaultKind } from './flags.ts'

export type Fault =
  /** Two groups that cannot reach each other, sizes ⌊N/2⌋ and ⌈N/2⌉. */
  | { kind: 'halves', groups: number[][] }
  /** groups[0] is the one isolated peer, groups[1] everybody else. */
  | { kind: 'isolate-one', groups: number[][] }
  /** [from, to]: `from` drops what it sends to `to`; never both directions of one pair. */
  | { kind: 'grudges', grudges: Array<[number, number]> }
  /** SIGKILLed `afterMs` into the fault (while they are writing), restarted with the same data dir at the heal. */
  | { kind: 'kill', victims: number[], afterMs: number, inFlightMs: number }

/** A kill lands this long into the fault, plus up to the span: a few of the victims' writes go first. */
const KILL_AFTER_MIN_MS = 300
const KILL_AFTER_SPAN_MS = 1_200
/** …then at a victim's next write, plus 0…this: before, during or just after the peer handles the request. */
const KILL_IN_FLIGHT_SPAN_MS = 4

export interface Side {
  /** Short label for progress lines and the summary. */
  label: string
  peers: number[]
}

export function planFault (rng: Random, kinds: readonly FaultKind[], n: number): Fault {
  const kind = kinds[rng.int(kinds.length)] as FaultKind
  const all = Array.from({ length: n }, (_, i) => i)
  switch (kind) {
    case 'halves': {
      const shuffled = rng.shuffle([...all])
      const cut = Math.floor(n / 2)
      return { kind, groups: [sorted(shuffled.slice(0, cut)), sorted(shuffled.slice(cut))] }
    }
    case 'isolate-one': {
      const lone = rng.int(n)
      return { kind, groups: [[lone], all.filter(i => i !== lone)] }
    }
    case 'grudges': {
      // 1…N one-way grudges; a pair in both directions would just be a symmetric cut.
      const want = 1 + rng.int(n)
      const pairs = rng.shuffle(all.flatMap(a => all.filter(b => b !== a).map(b => [a, b] as [number, number])))
      const chosen: Array<[number, number]> = []
      for (const [a, b] of pairs) {
        if (chosen.length === want) break
        if (!chosen.some(([x, y]) => x === b && y === a)) chosen.push([a, b])
      }
      return { kind, grudges: chosen.sort((x, y) => x[0] - y[0] || x[1] - y[1]) }
    }
    case 'kill': {
      // Up to a minority, at least one: AP needs no quorum, but survivors are what the victims rejoin through.
      const count = 1 + rng.int(Math.max(1, Math.floor((n - 1) / 2)))
      const victims = sorted(rng.sample(all, count))
      // Killed mid-workload, so that some of their writes are acknowledged just before the crash (they must
      // survive the restart) and one may be in flight (unknown).
      return { kind, victims, afterMs: KILL_AFTER_MIN_MS + rng.int(KILL_AFTER_SPAN_MS), inFlightMs: rng.int(KILL_IN_FLIGHT_SPAN_MS) }
    }
  }
}

export function describeFault (f: Fault): string {
  switch (f.kind) {
    case 'halves': return `halves ${f.groups.map(set).join(' | ')}`
    case 'isolate-one': return `isolate-one ${set(f.groups[0] ?? [])} from ${set(f.groups[1] ?? [])}`
    case 'grudges': return `grudges ${f.grudges.map(([a, b]) => `${a}↛${b}`).join(' ')}`
    case 'kill': return `kill ${set(f.victims)} at +${(f.afterMs / 1000).toFixed(1)}s, restart at heal`
  }
}

/** How the peers divide during the fault, for reporting writes accepted on each side. */
export function sidesOf (f: Fault, n: number): Side[] {
  const all = Array.from({ length: n }, (_, i) => i)
  switch (f.kind) {
    case 'halves': return f.groups.map((peers, k) => ({ label: `side ${String.fromCharCode(65 + k)}`, peers }))
    case 'isolate-one': return [{ label: 'isolated', peers: f.groups[0] ?? [] }, { label: 'rest', peers: f.groups[1] ?? [] }]
    case 'grudges': return [{ label: 'all', peers: all }]
    case 'kill': return [{ label: 'survivors', peers: all.filter(i => !f.victims.includes(i)) }, { label: 'killed', peers: f.victims }]
  }
}

/**
 * Who must see whom dead before a partition has "taken": members of groups of two or more (a group of one
 * has nobody to confirm its suspicions, so Lifeguard rightly takes its maximum suspicion time there), each
 * about everyone outside its group. Kill: the survivors about the victims. Grudges: nobody — a one-way
 * grudge is routed around by indirect probes, so no death is expected.
 */
export function expectedDeaths (f: Fault, n: number): Array<{ observer: number, subjects: number[] }> {
  const all = Array.from({ length: n }, (_, i) => i)
  switch (f.kind) {
    case 'halves':
    case 'isolate-one': {
      const big = f.groups.filter(g => g.length >= 2)
      const observing = big.length > 0 ? big : f.groups
      return observing.flatMap(g => g.map(observer => ({ observer, subjects: all.filter(i => !g.includes(i)) })))
    }
    case 'kill': return all.filter(i => !f.victims.includes(i)).map(observer => ({ observer, subjects: f.victims }))
    case 'grudges': return []
  }
}

export function set (xs: readonly number[]): string {
  return `{${xs.join(',')}}`
}

function sorted (xs: number[]): number[] {
  return xs.sort((a, b) => a - b)
}
