/**
 * Store health (src/core/store-health.ts): raw store errors classified into full / failing with a reason
 * that names no path, transitions reported once, and the memory store's stand-in for a disk that fills up
 * and is freed again.
 */
import { describe, expect, it } from 'vitest'
import { HealthTracker, classifyStoreError } from '../../src/core/store-health.js'
import type { StoreHealth } from '../../src/core/store-health.js'
import { MemoryDocStore, diskFullError } from '../../src/replication/memory-store.js'
import { ManualClock } from '../helpers/manual-clock.js'

describe('classifyStoreError', () => {
  const table: Array<[string, unknown, string, string]> = [
    ['LevelDB log write on a full disk', Object.assign(new Error('IO error: /data/docs/000004.log: No space left on device'), { code: 'LEVEL_IO_ERROR' }), 'full', 'no space left on device'],
    ['errno ENOSPC', Object.assign(new Error('write failed'), { code: 'ENOSPC' }), 'full', 'no space left on device'],
    ['quota', new Error('IO error: /q/x.ldb: Disk quota exceeded'), 'full', 'disk quota exceeded'],
    ['wrapped in a cause', new Error('Database failed to open', { cause: new Error('IO error: a.ldb: No space left on device') }), 'full', 'no space left on device'],
    ['read-only remount', new Error('IO error: /data/LOCK: Read-only file system'), 'failing', 'read-only file system'],
    ['EIO', Object.assign(new Error('bad sector'), { code: 'EIO' }), 'failing', 'input/output error'],
    ['anything else', new Error('IO error: /secret/path/000007.log: Something odd'), 'failing', 'write failed (details are in the peer\'s log)'],
    ['not even an Error', 'boom', 'failing', 'write failed (details are in the peer\'s log)']
  ]
  for (const [what, err, state, reason] of table) {
    it(`${what} → ${state}: ${reason}`, () => {
      const c = classifyStoreError(err)
      expect(c).toEqual({ state, reason })
      expect(c.reason).not.toMatch(/\/(data|q|secret)\b|\.log|\.ldb/) // never a path
    })
  }
})

describe('HealthTracker', () => {
  it('notifies on transitions only, with the time of the change', () => {
    let now = 5
    const t = new HealthTracker(() => now)
    const seen: StoreHealth[] = []
    t.on(h => { seen.push(h) })
    now = 10
    expect(t.fail(diskFullError())).toBe(true)
    expect(t.fail(diskFullError())).toBe(false)
    now = 20
    expect(t.set('ok')).toBe(true)
    expect(t.set('ok')).toBe(false)
    expect(seen).toEqual([{ state: 'full', reason: 'no space left on device', sinceMs: 10 }, { state: 'ok', sinceMs: 20 }])
  })

  it('a throwing listener does not stop the others', () => {
    const t = new HealthTracker(() => 0)
    let reached = false
    t.on(() => { throw new Error('bug') })
    t.on(() => { reached = true })
    t.set('failing', 'x')
    expect(reached).toBe(true)
  })
})

describe('MemoryDocStore health', () => {
  it('the first operation that fails makes it full; lifting the failure makes it ok one probe later', () => {
    const clock = new ManualClock()
    const store = new MemoryDocStore({ clock, latencyMs: 1, probeIntervalMs: 500 })
    store.failWith = diskFullError()
    expect(store.health().state).toBe('ok') // nothing has failed yet: a disk does not know it is full
    let err: Error | null | undefined
    store.append('d', Uint8Array.of(1), undefined, (e) => { err = e })
    clock.advance(1)
    expect(err?.message).toContain('No space left')
    expect(store.health()).toMatchObject({ state: 'full', reason: 'no space left on device' })
    store.failWith = undefined
    clock.advance(499)
    expect(store.health().state).toBe('full')
    clock.advance(1)
    expect(store.health().state).toBe('ok')
  })
})
