/**
 * A binary min-heap of events ordered by (time, insertion sequence). The sequence number makes events at
 * the same virtual time run in the order they were scheduled, which keeps a simulation deterministic.
 *
 * Every event is one class (the heap's comparisons stay monomorphic, hence fast): one-off events wrap a
 * timer's closure, while the simulator's hot paths (a link's pump, its next arrival) keep one event each
 * and re-push it, so carrying a frame costs no event allocation. A cancelled event stays in the heap and is
 * skipped when popped.
 *
 * The heap's keys live in two typed arrays beside the array of events (issue 11): a sift compares keys
 * in contiguous memory instead of reading event objects scattered over a large heap, a cache miss per
 * comparison that made the pops a tenth of an idle simulated minute at N = 1,000. (time, seq) is a total
 * order, so the events come out in exactly the order they did.
 */
export class SimEvent {
  time = 0
  seq = 0
  cancelled = false
  /** True while in the heap (a reusable event is pushed at most once at a time). */
  queued = false
  private run: (arg: unknown) => void
  private arg: unknown = undefined

  /** `oneShot`: never scheduled again once cancelled, so cancelling lets go of `run` (see cancel). */
  constructor (run: () => void, private readonly oneShot = false) {
    this.run = run
  }

  /**
   * A reusable event that calls `run(arg)`: one shared function instead of a closure per event (a link's
   * pump and arrival events, two per link, made for every connection: about one a second per member at
   * N = 1,000, issue 11).
   */
  static calling<T> (run: (arg: T) => void, arg: T): SimEvent {
    const ev = new SimEvent(noop)
    ev.run = run as (arg: unknown) => void
    ev.arg = arg
    return ev
  }

  fire (): void {
    this.run(this.arg)
  }

  /**
   * Cancels the event (a popped cancelled event is skipped). A one-shot event lets go of its closure at
   * once (issue 11): a cancelled timer stays in the heap until its time, and a probe's two timers, cancelled
   * by the ack a millisecond later, held the probe round and everything it captured for up to a simulated
   * second — long enough at N = 1,000 to be copied by the young-generation GC and promoted to the old heap.
   */
  cancel (): void {
    this.cancelled = true
    if (this.oneShot) {
      this.run = noop
      this.arg = undefined
    }
  }
}

function noop (): void {}

const INITIAL_CAPACITY = 1024

export class EventQueue {
  private events: SimEvent[] = []
  private times = new Float64Array(INITIAL_CAPACITY)
  private seqs = new Float64Array(INITIAL_CAPACITY)
  private count = 0
  private nextSeq = 0

  get size (): number {
    return this.count
  }

  /** Schedules `run` at `time`; returns the event (cancel with `.cancel()`). */
  push (time: number, run: () => void): SimEvent {
    const ev = new SimEvent(run, true)
    this.schedule(ev, time)
    return ev
  }

  /** (Re)schedules a reusable event. It must not be queued already. */
  schedule (ev: SimEvent, time: number): void {
    const seq = this.nextSeq++
    ev.time = time
    ev.seq = seq
    ev.cancelled = false
    ev.queued = true
    if (this.count === this.times.length) this.grow()
    const times = this.times
    const seqs = this.seqs
    const events = this.events
    let i = this.count++
    while (i > 0) {
      const parent = (i - 1) >> 1
      const pt = times[parent] as number
      if (!(time < pt || (time === pt && seq < (seqs[parent] as number)))) break
      times[i] = pt
      seqs[i] = seqs[parent] as number
      events[i] = events[parent] as SimEvent
      i = parent
    }
    times[i] = time
    seqs[i] = seq
    events[i] = ev
  }

  peekTime (): number | undefined {
    return this.count === 0 ? undefined : this.times[0]
  }

  pop (): SimEvent | undefined {
    if (this.count === 0) return undefined
    const events = this.events
    const times = this.times
    const seqs = this.seqs
    const top = events[0] as SimEvent
    const n = --this.count
    const last = events[n] as SimEvent
    const lt = times[n] as number
    const ls = seqs[n] as number
    events.pop()
    if (n > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        // The smaller child (by time, then seq), compared with the element being sifted down.
        let m = l
        let mt = times[l] as number
        let ms = seqs[l] as number
        const r = l + 1
        if (r < n) {
          const rt = times[r] as number
          const rs = seqs[r] as number
          if (rt < mt || (rt === mt && rs < ms)) { m = r; mt = rt; ms = rs }
        }
        if (!(mt < lt || (mt === lt && ms < ls))) break
        times[i] = mt
        seqs[i] = ms
        events[i] = events[m] as SimEvent
        i = m
      }
      times[i] = lt
      seqs[i] = ls
      events[i] = last
    }
    top.queued = false
    return top
  }

  private grow (): void {
    const times = new Float64Array(this.times.length * 2)
    times.set(this.times)
    this.times = times
    const seqs = new Float64Array(this.seqs.length * 2)
    seqs.set(this.seqs)
    this.seqs = seqs
  }
}
