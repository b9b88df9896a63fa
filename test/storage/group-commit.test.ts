import { describe, expect, it } from 'vitest'
import { GroupCommitQueue, type GroupCommitLimits, type QueueEntry } from '../../src/storage/group-commit.js'

/** A fake disk: every write waits until the test settles it, so batches are observable. */
class FakeDisk {
  readonly batches: string[][] = []
  private readonly settlers: Array<(err?: Error) => void> = []

  readonly write = (ops: string[]): Promise<void> => {
    this.batches.push(ops)
    return new Promise((resolve, reject) => {
      this.settlers.push(err => { if (err === undefined) resolve(); else reject(err) })
    })
  }

  get waiting (): number {
    return this.settlers.length
  }

  /** Settles the oldest outstanding write and lets its callbacks run. */
  async settle (err?: Error): Promise<void> {
    const settle = this.settlers.shift()
    if (settle === undefined) throw new Error('no write in flight')
    settle(err)
    await tick()
  }
}

const LIMITS: GroupCommitLimits = { maxBatchBytes: 1000, maxBatchEntries: 100, maxQueuedBytes: 10_000, maxQueuedEntries: 1000 }

function tick (): Promise<void> {
  return new Promise(resolve => { setImmediate(resolve) })
}

function setup (limits: Partial<GroupCommitLimits> = {}): { disk: FakeDisk, queue: GroupCommitQueue<string>, calls: string[], callbackErrors: unknown[] } {
  const disk = new FakeDisk()
  const callbackErrors: unknown[] = []
  const queue = new GroupCommitQueue<string>(disk.write, { ...LIMITS, ...limits }, err => { callbackErrors.push(err) })
  return { disk, queue, calls: [], callbackErrors }
}

function entry (op: string, calls: string[], bytes = 1): QueueEntry<string> {
  return { ops: [op], bytes, done: err => { calls.push(err === null ? op : `${op}:${err.message}`) } }
}

describe('GroupCommitQueue', () => {
  it('writes entries queued in the same turn as one batch, calling back after it is durable', async () => {
    const { disk, queue, calls } = setup()
    for (const op of ['a', 'b', 'c']) queue.enqueue(entry(op, calls))
    await tick()
    expect(disk.batches).toEqual([['a', 'b', 'c']])
    expect(calls).toEqual([]) // not durable yet
    await disk.settle()
    expect(calls).toEqual(['a', 'b', 'c'])
    expect(queue.stats()).toMatchObject({ batches: 1, entriesWritten: 3, largestBatch: 3, writing: false })
  })

  it('gathers entries queued while a batch is in flight into the next batch, in order', async () => {
    const { disk, queue, calls } = setup()
    queue.enqueue(entry('a', calls))
    await tick()
    for (const op of ['b', 'c', 'd']) queue.enqueue(entry(op, calls))
    await tick()
    expect(disk.waiting).toBe(1) // one batch at a time
    await disk.settle()
    expect(disk.batches).toEqual([['a'], ['b', 'c', 'd']])
    await disk.settle()
    expect(calls).toEqual(['a', 'b', 'c', 'd'])
  })

  it('gives a failed batch\'s error to every entry of it, then carries on', async () => {
    const { disk, queue, calls } = setup()
    queue.enqueue(entry('a', calls))
    queue.enqueue(entry('b', calls))
    await tick()
    queue.enqueue(entry('c', calls))
    await disk.settle(new Error('EIO'))
    expect(calls).toEqual(['a:EIO', 'b:EIO'])
    await disk.settle()
    expect(calls).toEqual(['a:EIO', 'b:EIO', 'c'])
    expect(queue.stats().failedBatches).toBe(1)
  })

  it('splits at maxBatchEntries and maxBatchBytes, but writes an oversized entry alone', async () => {
    const { disk, queue, calls } = setup({ maxBatchEntries: 2, maxBatchBytes: 10 })
    queue.enqueue(entry('a', calls))
    queue.enqueue(entry('b', calls))
    queue.enqueue(entry('c', calls)) // entry limit
    queue.enqueue(entry('big', calls, 50)) // over the byte limit on its own
    queue.enqueue(entry('d', calls, 6))
    queue.enqueue(entry('e', calls, 6)) // 12 bytes with d
    await tick()
    while (disk.waiting > 0) await disk.settle()
    expect(disk.batches).toEqual([['a', 'b'], ['c'], ['big'], ['d'], ['e']])
    expect(calls).toEqual(['a', 'b', 'c', 'big', 'd', 'e'])
  })

  it('refuses entries beyond maxQueuedEntries or maxQueuedBytes', async () => {
    const { disk, queue, calls } = setup({ maxQueuedEntries: 2, maxQueuedBytes: 10 })
    expect(queue.enqueue(entry('a', calls))).toBe(true)
    expect(queue.enqueue(entry('b', calls, 20))).toBe(false)
    expect(queue.enqueue(entry('c', calls))).toBe(true)
    expect(queue.enqueue(entry('d', calls))).toBe(false)
    await tick()
    await disk.settle()
    expect(calls).toEqual(['a', 'c'])
    expect(queue.enqueue(entry('e', calls))).toBe(true) // room again once written
  })

  it('calls a barrier back after the writes before it, without a disk write of its own', async () => {
    const { disk, queue, calls } = setup()
    queue.enqueue({ ops: [], bytes: 0, done: () => { calls.push('barrier-alone') } })
    await tick()
    await tick()
    expect(calls).toEqual(['barrier-alone'])
    expect(disk.batches).toEqual([])
    queue.enqueue(entry('a', calls))
    queue.enqueue({ ops: [], bytes: 0, done: () => { calls.push('barrier') } })
    await tick()
    expect(calls).toEqual(['barrier-alone'])
    await disk.settle()
    expect(calls).toEqual(['barrier-alone', 'a', 'barrier'])
    expect(queue.stats().batches).toBe(1)
  })

  it('survives a throwing callback and reports it', async () => {
    const { disk, queue, calls, callbackErrors } = setup()
    queue.enqueue({ ops: ['a'], bytes: 1, done: () => { throw new Error('boom') } })
    queue.enqueue(entry('b', calls))
    await tick()
    await disk.settle()
    expect(calls).toEqual(['b'])
    expect(callbackErrors).toHaveLength(1)
  })

  it('whenIdle waits for queued and in-flight writes; abortQueued fails only what is not on the disk yet', async () => {
    const { disk, queue, calls } = setup({ maxBatchEntries: 1 })
    let idle = false
    await queue.whenIdle() // already idle
    queue.enqueue(entry('a', calls))
    queue.enqueue(entry('b', calls))
    void queue.whenIdle().then(() => { idle = true })
    await tick()
    expect(queue.abortQueued(new Error('closed'))).toBe(1)
    expect(calls).toEqual(['b:closed'])
    expect(idle).toBe(false) // 'a' is still being written
    await disk.settle()
    expect(calls).toEqual(['b:closed', 'a'])
    expect(idle).toBe(true)
  })
})
