/**
 * A binary min-heap of events ordered by (time, insertion sequence). The sequence number makes events at
 * the same virtual time run in the order they were scheduled, which keeps a simulation deterministic.
 *
 * Every event is one class (the heap's comparisons stay monomorphic, hence fast): one-off events wrap a
 * timer's closure, while the simulator's hot paths (a link's pump, its next arrival) keep one event each
 * and re-push it, so carrying a frame costs no event allocation. A cancelled event stays in the heap and is
 * skipped when popped.
 */
export class SimEvent {
  time = 0
  seq = 0
  cancelled = false
  /** True while in the heap (a reusable event is pushed at most once at a time). */
  queued = false

  constructor (readonly run: () => void) {}

  fire (): void {
    this.run()
  }

  /** Cancels the event (a popped cancelled event is skipped). */
  cancel (): void {
    this.cancelled = true
  }
}

export class EventQueue {
  private readonly heap: SimEvent[] = []
  private nextSeq = 0

  get size (): number {
    return this.heap.length
  }

  /** Schedules `run` at `time`; returns the event (cancel with `.cancel()`). */
  push (time: number, run: () => void): SimEvent {
    const ev = new SimEvent(run)
    this.schedule(ev, time)
    return ev
  }

  /** (Re)schedules a reusable event. It must not be queued already. */
  schedule (ev: SimEvent, time: number): void {
    ev.time = time
    ev.seq = this.nextSeq++
    ev.cancelled = false
    ev.queued = true
    const h = this.heap
    h.push(ev)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = h[parent] as SimEvent
      if (!before(ev, p)) break
      h[i] = p
      i = parent
    }
    h[i] = ev
  }

  peekTime (): number | undefined {
    return this.heap[0]?.time
  }

  pop (): SimEvent | undefined {
    const h = this.heap
    const top = h[0]
    if (top === undefined) return undefined
    const last = h.pop() as SimEvent
    if (h.length > 0) {
      let i = 0
      const n = h.length
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        let mv = last
        if (l < n && before(h[l] as SimEvent, mv)) { m = l; mv = h[l] as SimEvent }
        if (r < n && before(h[r] as SimEvent, mv)) { m = r; mv = h[r] as SimEvent }
        if (m === i) break
        h[i] = mv
        i = m
      }
      h[i] = last
    }
    top.queued = false
    return top
  }
}

function before (a: SimEvent, b: SimEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq)
}
