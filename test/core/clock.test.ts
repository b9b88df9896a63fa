/** The real clock (src/core/clock.ts): a due timer runs after the I/O that is ready when it fires. */
import net from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { SystemClock } from '../../src/core/clock.js'

/** Keeps the thread busy for `ms`, as a loaded peer's long task does. */
function stall (ms: number): void {
  const end = performance.now() + ms
  while (performance.now() < end) { /* busy */ }
}

const closers: Array<() => void> = []
afterEach(() => { for (const c of closers.splice(0)) c() })

/** A connected pair of TCP sockets on 127.0.0.1. */
async function socketPair (): Promise<{ a: net.Socket, b: net.Socket }> {
  const server = net.createServer()
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  const port = (server.address() as net.AddressInfo).port
  const accepted = new Promise<net.Socket>((resolve) => { server.once('connection', resolve) })
  const a = net.connect(port, '127.0.0.1')
  await new Promise<void>((resolve) => { a.once('connect', () => { resolve() }) })
  const b = await accepted
  closers.push(() => { a.destroy(); b.destroy(); server.close() })
  return { a, b }
}

describe('SystemClock', () => {
  test('after a stall, an answer that arrived before the timeout was due is read before the timeout fires', async () => {
    const { a, b } = await socketPair()
    const clock = new SystemClock()
    const order: string[] = []
    const done = new Promise<void>((resolve) => {
      b.on('data', () => { order.push('answer') })
      clock.setTimeout(() => { order.push('timeout'); resolve() }, 20)
    })
    // The answer is on its way at once; then the thread is busy past the timeout's due time.
    a.write('ack')
    stall(100)
    await done
    // Node alone runs the due timer first (timers phase before the poll phase): ['timeout', 'answer'].
    expect(order).toEqual(['answer', 'timeout'])
  })

  test('fires after its delay, and a cancelled timer never fires (before or after it fell due)', async () => {
    const clock = new SystemClock()
    const fired: string[] = []
    const start = performance.now()
    let at = 0
    const t1 = clock.setTimeout(() => { fired.push('cancelled early') }, 5)
    t1.cancel()
    clock.setTimeout(() => { fired.push('kept'); at = performance.now() - start }, 15)
    // Cancelled by a timer due at the same time, which runs first: after t3 fell due, before it ran.
    let t3: { cancel: () => void } | undefined
    clock.setTimeout(() => { t3?.cancel() }, 10)
    t3 = clock.setTimeout(() => { fired.push('cancelled late') }, 10)
    await new Promise((resolve) => { setTimeout(resolve, 60) })
    expect(fired).toEqual(['kept'])
    expect(at).toBeGreaterThanOrEqual(14)
  })
})
