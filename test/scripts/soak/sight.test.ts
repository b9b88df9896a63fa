/**
 * scripts/soak/sight.ts Sight: a heal or restart line names the observers that saw everyone alive last and
 * whom each was still missing at its answer before (the peers' own logs rate-limit their member lines).
 */
import { describe, expect, test } from 'vitest'
import { Sight } from '../../../scripts/soak/sight.ts'
import type { Slot } from '../../../scripts/soak/mesh.ts'

const slot = (index: number): Slot => ({ index, name: `p${String(index).padStart(2, '0')}`, dataDir: '', id: `id${index}`, proc: undefined, starts: 1, upSince: 0, stable: true, pastLogs: [] })

describe('Sight', () => {
  test('names the latest observers and what each missed just before', async () => {
    const peers = [0, 1, 2, 3].map(slot)
    // p02 holds p03 dead on its first answer, alive on the second; the others see everyone at once.
    const answers = new Map<string, number>()
    const sight = new Sight(async (o) => {
      const n = answers.get(o.name) ?? 0
      answers.set(o.name, n + 1)
      return peers.map(p => ({ peerId: p.id, state: o.name === 'p02' && p.name === 'p03' && n === 0 ? 'dead' : 'alive' }))
    }, Date.now())
    for (const o of peers) await sight.seesAlive(o, peers)
    await new Promise(resolve => setTimeout(resolve, 20))
    expect(await sight.seesAlive(peers[2] as Slot, peers)).toBe(true)
    const text = sight.lastText()
    expect(text.startsWith(' (last: p02 ')).toBe(true)
    expect(text).toContain('missing p03 dead')
    expect(text.split(';')).toHaveLength(3)
  })

  test('an observer that never saw everyone is named first, with the states it gave', async () => {
    const peers = [0, 1, 2, 3, 4, 5].map(slot)
    const sight = new Sight(async (o) => o.name === 'p01'
      ? peers.filter(p => p.name !== 'p05').map(p => ({ peerId: p.id, state: p.name === 'p00' ? 'alive' : 'suspect' }))
      : peers.map(p => ({ peerId: p.id, state: 'alive' })), Date.now())
    for (const o of peers) await sight.seesAlive(o, peers)
    expect(sight.lastText()).toMatch(/^ \(last: p01 never, missing p01 suspect, p02 suspect, p03 suspect \+2 more; /)
  })

  test('counts the questions an observer left unanswered (a busy peer times out)', async () => {
    const peers = [0, 1].map(slot)
    let calls = 0
    const sight = new Sight(async (o) => {
      if (o.name === 'p01' && calls++ < 2) throw new Error('timed out')
      return peers.map(p => ({ peerId: p.id, state: 'alive' }))
    }, Date.now())
    await expect(sight.seesAlive(peers[1] as Slot, peers)).rejects.toThrow('timed out')
    await expect(sight.seesAlive(peers[1] as Slot, peers)).rejects.toThrow('timed out')
    expect(sight.lastText()).toBe(' (last: p01 never, 2 question(s) unanswered)')
    expect(await sight.seesAlive(peers[1] as Slot, peers)).toBe(true)
    expect(sight.lastText()).toMatch(/^ \(last: p01 [0-9.]+ s, 2 question\(s\) unanswered\)$/)
  })

  test('says nothing when nobody was asked', () => {
    expect(new Sight(async () => [], 0).lastText()).toBe('')
  })
})
