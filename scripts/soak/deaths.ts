/**
 * False-death detection. Every live peer's `/events` stream is followed; each `member dead` event is
 * judged against what the soak did to that pair of peers:
 *
 *   A false death is a `dead` event about S seen by O while both are healthy and not cut from each other:
 *   O and S have each been running for at least `graceMs`, and the pair (O, S) has not been partitioned
 *   within the last `graceMs` (nor is it now).
 *
 * `graceMs` covers what a real failure legitimately leaves behind: a suspicion started just before a
 * heal or a kill runs to its end (local profile, N = 20: ≤ 6 × 3 × log10(20) × 1 s ≈ 23 s), and the
 * restarted peer's previous incarnation is declared dead by whoever had not noticed yet.
 */
import type { Mesh, Slot } from './mesh.ts'

export interface DeathRecord {
  at: number
  observer: string
  subject: string
  falseDeath: boolean
  /** What the chaos was doing at that moment (for the post-mortem). */
  phase: string
}

interface MemberEvent { type?: string, member?: { peerId?: string } }

export class DeathWatch {
  readonly deaths: DeathRecord[] = []
  /** Pair key → the pair is judged again from this time on (Infinity while cut). */
  private readonly pairQuietFrom = new Map<string, number>()
  private readonly streams = new Map<string, AbortController>()
  private running = true
  /** Set by the chaos: what is going on now (e.g. "partition 5: p08,p06 | 18"). */
  phase = 'start'
  private readonly mesh: Mesh
  private readonly graceMs: number
  private readonly onFalseDeath: (d: DeathRecord) => void

  constructor (mesh: Mesh, graceMs: number, onFalseDeath: (d: DeathRecord) => void) {
    this.mesh = mesh
    this.graceMs = graceMs
    this.onFalseDeath = onFalseDeath
  }

  get falseDeaths (): DeathRecord[] {
    return this.deaths.filter(d => d.falseDeath)
  }

  /** (Re)attaches to the slot's current process. */
  follow (slot: Slot): void {
    this.streams.get(slot.name)?.abort()
    const proc = slot.proc
    if (proc === undefined || !this.running) return
    const controller = new AbortController()
    this.streams.set(slot.name, controller)
    void this.read(slot, proc.http, controller.signal).catch(() => {}).finally(() => {
      // The stream broke while the same process still runs (e.g. a slow client was dropped): reattach.
      if (this.running && !controller.signal.aborted && slot.proc === proc) setTimeout(() => { if (slot.proc === proc) this.follow(slot) }, 1_000)
    })
  }

  /** The partition between `a` and `b` begins: their cross pairs are not judged until `healed` + grace. */
  cut (a: readonly Slot[], b: readonly Slot[]): void {
    for (const x of a) for (const y of b) this.pairQuietFrom.set(pairKey(x.name, y.name), Infinity)
  }

  healed (a: readonly Slot[], b: readonly Slot[], at: number): void {
    for (const x of a) for (const y of b) this.pairQuietFrom.set(pairKey(x.name, y.name), at + this.graceMs)
  }

  stop (): void {
    this.running = false
    for (const c of this.streams.values()) c.abort()
    this.streams.clear()
  }

  private judge (observer: Slot, subjectId: string, at: number): void {
    const subject = this.mesh.slotOf(subjectId)
    if (subject === undefined) return
    const healthy = (s: Slot): boolean => s.proc !== undefined && at - s.upSince >= this.graceMs
    const pairQuiet = at >= (this.pairQuietFrom.get(pairKey(observer.name, subject.name)) ?? 0)
    const record = { at, observer: observer.name, subject: subject.name, falseDeath: healthy(observer) && healthy(subject) && pairQuiet, phase: this.phase }
    this.deaths.push(record)
    if (record.falseDeath) this.onFalseDeath(record)
  }

  private async read (slot: Slot, base: string, signal: AbortSignal): Promise<void> {
    const res = await fetch(`${base}/events`, { signal })
    if (res.body === null) return
    const decoder = new TextDecoder()
    let buffer = ''
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true })
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event = /^event: (.*)$/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (event !== 'member' || data === undefined) continue
        const e = JSON.parse(data) as MemberEvent
        if (e.type === 'dead' && e.member?.peerId !== undefined) this.judge(slot, e.member.peerId, Date.now())
      }
    }
  }
}

function pairKey (a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`
}
