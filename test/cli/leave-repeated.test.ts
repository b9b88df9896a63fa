/**
 * `murmur leave` (POST /leave) asked again while the agent leaves — an operator's retry, two scripts:
 * one graceful stop, exit 0.
 */
import { afterAll, describe, expect, test } from 'vitest'
import { api, cleanup, spawnPeer, waitForStates } from '../helpers/procs.js'

describe('peer process: a leave asked twice', () => {
  afterAll(cleanup)

  // The second answer's 'finish' called the shutdown again, taken for a second Ctrl-C: "second signal:
  // exiting now", exit 1 before the peer stopped; and each request handed every doc off anew.
  test('both requests answer {"left": true}, the docs are handed off once, and the process exits 0', async () => {
    const a = await spawnPeer({ args: ['--profile', 'local'] })
    const b = await spawnPeer({ args: ['--profile', 'local'], bootstrap: [a.addrs[0] as string] })
    await waitForStates([a, b], [a.id, b.id], 'alive', 15_000)
    // b cut off: the leave waits (up to 1 s) for b to confirm holding the doc, so both requests are in flight.
    expect((await api(a, 'POST', '/admin/partition', { block: [b.id] })).status).toBe(200)
    expect((await api(a, 'PUT', '/docs/only-here/kv/k', 1)).status).toBe(200)

    const first = api(a, 'POST', '/leave')
    await new Promise(resolve => setTimeout(resolve, 200))
    const second = api(a, 'POST', '/leave')
    const answers = await Promise.all([first, second])
    const exit = await a.exited

    expect(answers.map(r => [r.status, r.body])).toEqual([[200, { left: true }], [200, { left: true }]])
    expect(exit).toEqual({ code: 0, signal: null })
    expect(a.log()).not.toMatch(/second signal/)
    expect(a.log().match(/leaving with docs no other peer confirmed holding/g)).toHaveLength(1)
  })
})
