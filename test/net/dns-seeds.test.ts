/**
 * DNS bootstrap (src/net/dns-seeds.ts) with a scripted resolver: every record of a name is joined, not
 * one; our own and alive members' addresses are not; a re-resolution joins only what is new; limits hold.
 * The same over a real DNS server and network namespaces is test/net/dns-bootstrap-netns.test.ts.
 */
import { describe, expect, test } from 'vitest'
import { createLogger, silentLogger } from '../../src/core/logger.js'
import { DnsSeeds, MAX_DNS_SEEDS, MAX_RECORDS_PER_NAME, SELF_ONLY_ANSWERS, dnsSeed, resolveSeeds } from '../../src/net/index.js'
import type { DnsSeedsInit, HostResolver } from '../../src/net/index.js'

const ID = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'

describe('DNS seeds', () => {
  test('which bootstrap addresses are DNS names', () => {
    expect(dnsSeed(`/dns4/murmur.default.svc/tcp/4001/p2p/${ID}`)).toEqual({ addr: `/dns4/murmur.default.svc/tcp/4001/p2p/${ID}`, host: 'murmur.default.svc', family: 4, rest: '/tcp/4001' })
    expect(dnsSeed('/dns6/h/tcp/1')?.family).toBe(6)
    expect(dnsSeed('/dns/h/tcp/1')?.family).toBe(0)
    expect(dnsSeed('/ip4/10.0.0.1/tcp/4001')).toBeUndefined()
    expect(dnsSeed('/ip6/::1/tcp/4001')).toBeUndefined()
  })

  test('every record becomes an address; a name that fails is logged and skipped; at most 64 records a name', async () => {
    const warnings: string[] = []
    const log = createLogger((_l, _c, message, fields) => { warnings.push(`${message} ${JSON.stringify(fields)}`) }, 'warn')
    const resolve: HostResolver = async (host) => {
      if (host === 'gone') throw Object.assign(new Error('getaddrinfo ENOTFOUND gone'), { code: 'ENOTFOUND' })
      if (host === 'big') return Array.from({ length: 100 }, (_, i) => `10.1.${i >> 8}.${i & 255}`)
      return ['10.0.0.1', '10.0.0.2', 'fd00::3']
    }
    const seeds = ['/dns4/svc/tcp/4001', '/dns4/gone/tcp/4001', '/dns4/big/tcp/5'].map(a => dnsSeed(a)!)
    const addrs = await resolveSeeds(seeds, resolve, log)
    expect(addrs.slice(0, 3)).toEqual(['/ip4/10.0.0.1/tcp/4001', '/ip4/10.0.0.2/tcp/4001', '/ip6/fd00::3/tcp/4001'])
    expect(addrs.filter(a => a.endsWith('/tcp/5'))).toHaveLength(MAX_RECORDS_PER_NAME)
    expect(warnings.join('\n')).toMatch(/bootstrap name did not resolve; retrying later .*"name":"gone".*ENOTFOUND/)
  })

  // A `murmur join` (POST /join) resolves its names once and tells the operator which failed; its log line
  // said "retrying later", where nothing retries them.
  test('a one-off join\'s name that fails is logged as such, not as a bootstrap name retried later', async () => {
    const warnings: string[] = []
    const log = createLogger((_l, _c, message, fields) => { warnings.push(`${message} ${JSON.stringify(fields)}`) }, 'warn')
    const resolve: HostResolver = async () => { throw Object.assign(new Error('getaddrinfo ENOTFOUND gone'), { code: 'ENOTFOUND' }) }
    const told: string[] = []
    expect(await resolveSeeds([dnsSeed('/dns4/gone/tcp/4001')!], resolve, log, (seed, error) => { told.push(`${seed.host} ${error}`) })).toEqual([])
    expect(told).toEqual(['gone ENOTFOUND'])
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^join: name did not resolve .*"name":"gone".*ENOTFOUND/)
  })

  test('joins new addresses only: not ours, not alive members\', not already joined; stops with the peer', async () => {
    let records = ['10.0.0.1', '10.0.0.2', '10.0.0.3']
    const joined: string[][] = []
    let running = true
    const seeds = new DnsSeeds({
      seeds: [dnsSeed('/dns4/svc/tcp/4001')!],
      resolve: async () => records,
      log: silentLogger,
      self: () => [`/ip4/10.0.0.1/tcp/4001/p2p/${ID}`],
      alive: () => ['/ip4/10.0.0.2/tcp/4001/p2p/12D3KooWOther'],
      join: (a) => { joined.push(a) },
      running: () => running
    })
    expect(await seeds.refresh()).toEqual(['/ip4/10.0.0.3/tcp/4001'])
    expect(await seeds.refresh()).toEqual([])
    records = ['10.0.0.2', '10.0.0.3', '10.0.0.4'] // a pod replaced: a new address
    expect(await seeds.refresh()).toEqual(['/ip4/10.0.0.4/tcp/4001'])
    expect(joined).toEqual([['/ip4/10.0.0.3/tcp/4001'], ['/ip4/10.0.0.4/tcp/4001']])
    running = false
    expect(await seeds.refresh()).toEqual([])
    seeds.stop()
  })

  test(`at most ${MAX_DNS_SEEDS} distinct addresses are ever joined`, async () => {
    const names = Math.ceil((MAX_DNS_SEEDS + 10) / MAX_RECORDS_PER_NAME)
    let joined = 0
    const init: DnsSeedsInit = {
      seeds: Array.from({ length: names }, (_, n) => dnsSeed(`/dns4/n${n}/tcp/1`)!),
      resolve: async host => Array.from({ length: MAX_RECORDS_PER_NAME }, (_, i) => `10.${Number(host.slice(1))}.0.${i}`),
      log: silentLogger,
      self: () => [],
      alive: () => [],
      join: (a) => { joined += a.length },
      running: () => false
    }
    await new DnsSeeds(init).refresh()
    expect(joined).toBe(0) // not running: nothing
    const live = new DnsSeeds({ ...init, running: () => true })
    await live.refresh()
    live.stop()
    expect(joined).toBe(MAX_DNS_SEEDS)
  })

  test(`nobody to join once the name lists only this peer, ${SELF_ONLY_ANSWERS} answers in a row; until another member is seen alive`, async () => {
    // A headless Service of a one-pod StatefulSet answers with the pod's own address: before, such a peer
    // waited for ever for another member (/ready 503).
    let records: string[] | Error = ['10.0.0.1']
    const seeds = new DnsSeeds({
      seeds: [dnsSeed('/dns4/svc/tcp/4001')!],
      resolve: async () => { if (records instanceof Error) throw records; return records },
      log: silentLogger,
      self: () => [`/ip4/10.0.0.1/tcp/4001/p2p/${ID}`],
      alive: () => [],
      join: () => {},
      running: () => true
    })
    const answer = async (): Promise<boolean> => { await seeds.refresh(); seeds.stop(); return seeds.nobodyToJoin }
    expect(seeds.nobodyToJoin).toBe(false)
    expect(await answer()).toBe(false) // one answer: a pod started with others may be listed before them
    expect(await answer()).toBe(true)
    records = ['10.0.0.1', '10.0.0.2'] // scaled up: the new pod is the one to join; this peer stays a mesh of one
    expect(await answer()).toBe(true)
    seeds.sawMember() // it joined: in a mesh now
    expect(seeds.nobodyToJoin).toBe(false)
    records = ['10.0.0.1'] // scaled down again
    expect(await answer()).toBe(false)
    records = new Error('ENOTFOUND') // no answer is no evidence
    expect(await answer()).toBe(false)
    records = []
    expect(await answer()).toBe(false)
    records = ['10.0.0.1']
    expect(await answer()).toBe(false)
    expect(await answer()).toBe(true)
  })

  test('a name listing other peers: something to join, however often it answers', async () => {
    const seeds = new DnsSeeds({
      seeds: [dnsSeed('/dns4/svc/tcp/4001')!, dnsSeed('/dns4/solo/tcp/4001')!],
      resolve: async host => host === 'solo' ? ['10.0.0.1'] : ['10.0.0.1', '10.0.0.3'],
      log: silentLogger,
      self: () => [`/ip4/10.0.0.1/tcp/4001/p2p/${ID}`],
      alive: () => [],
      join: () => {},
      running: () => true
    })
    for (let i = 0; i < 4; i++) await seeds.refresh()
    seeds.stop()
    expect(seeds.nobodyToJoin).toBe(false)
  })
})
