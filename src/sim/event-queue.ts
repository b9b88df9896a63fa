/**
 * A binary min-heap of events ordered by (time, insertion sequence). The sequence number makes events at
 * the same virtual time run in the order they were scheduled, which keeps a simulation deterministic.
 */
export interface QueuedEvent {
  time: number
  seq: number
  run: () => void
  cancelled: boolean
}

export class EventQueue {
  private heap: QueuedEvent[] = []
  private nextSeq = 0

  get size (): number {
    return this.heap.length
  }

  push (time: number, run: () => void): QueuedEvent {
    const ev: QueuedEvent = { time, seq: this.nextSeq++, run, cancelled: false }
    const h = this.heap
    h.push(ev)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(ev, h[parent] as QueuedEvent)) break
      h[i] = h[parent] as QueuedEvent
      i = parent
    }
    h[i] = ev
    return ev
  }

  peekTime (): number | undefined {
    return this.heap[0]?.time
  }

  pop (): QueuedEvent | undefined {
    const h = this.heap
    const top = h[0]
    if (top === undefined) return undefined
    const last = h.pop() as QueuedEvent
    if (h.length > 0) {
      let i = 0
      const n = h.length
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        let mv = last
        if (l < n && before(h[l] as QueuedEvent, mv)) { m = l; mv = h[l] as QueuedEvent }
        if (r < n && before(h[r] as QueuedEvent, mv)) { m = r; mv = h[r] as QueuedEvent }
        if (m === i) break
        h[i] = mv
        i = m
      }
      h[i] = last
    }
    return top
  }
}

function before (a: QueuedEvent, b: QueuedEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq)
}
