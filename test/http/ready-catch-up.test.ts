/**
 * `GET /ready` on a restarted peer (real processes): ready means its reads see what the mesh acknowledged
 * while it was down. It used to answer ready as soon as another member was alive, and reads answered from
 * the peer's own stale copy for the 0.5–2 s anti-entropy took to bring the rest.
 */
import { afterAll, describe, expect, test } from 'vitest'
import { cleanup, http, sleep, spawnPeer, stopPeer, tempDir, waitForStates } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'

const ARGS = ['--profile', 'local', '--replicas', '3']
const DOCS = Array.from({ length: 12 }, (_, i) => `doc${i}`)

const put = async (p: PeerProcess, doc: string, value: number): Promise<number> =>
  (await http(p.http, 'PUT', `/docs/${doc}/kv/k?w=3`, value)).status

describe('/ready after a restart', () => {
  afterAll(cleanup)

  test('answers ready only once the peer\'s reads see the writes acknowledged while it was down', async () => {
    const seed = await spawnPeer({ args: ARGS })
    const bootstrap = [seed.addrs[0] as string]
    const b = await spawnPeer({ args: ARGS, bootstrap })
    const dataDir = tempDir()
    let c = await spawnPeer({ args: ARGS, bootstrap, dataDir })
    await waitForStates([seed, b, c], [seed.id, b.id, c.id], 'alive', 20_000)
    for (const doc of DOCS) expect(await put(seed, doc, 1)).toBe(200) // on all three, durably

    await stopPeer(c, 'SIGKILL')
    await waitForStates([seed, b], [c.id], 'dead', 20_000)
    for (const doc of DOCS) expect((await http(seed.http, 'PUT', `/docs/${doc}/kv/k?w=2`, 2)).status).toBe(200)

    c = await spawnPeer({ args: ARGS, bootstrap, dataDir })
    const started = Date.now()
    let ready = await http(c.http, 'GET', '/ready')
    const answers = new Set<string>()
    while (ready.status !== 200 && Date.now() - started < 20_000) {
      answers.add((ready.body as { code?: string }).code ?? String(ready.status))
      await sleep(10)
      ready = await http(c.http, 'GET', '/ready')
    }
    expect(ready.status, `never ready: ${[...answers].join(', ')}`).toBe(200)
    // The first read after ready: every doc at the value written while the peer was down.
    const values = await Promise.all(DOCS.map(async doc => (await http<number>(c.http, 'GET', `/docs/${doc}/kv/k`)).body))
    expect(values).toEqual(DOCS.map(() => 2))
    expect(answers.has('catching_up'), `answers before ready: ${[...answers].join(', ')}`).toBe(true)
  }, 60_000)
})
