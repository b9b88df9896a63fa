/**
 * The Peer's entry points as a JavaScript caller (no type checker) reaches them: a value of the wrong type
 * or range is refused at once with a named error and a one-line message — never a hang, a doc of its own
 * under a name that is not a string, or a TypeError from deep inside. Real in-process peers.
 */
import { afterAll, afterEach, describe, expect, test } from 'vitest'
import type * as Y from 'yjs'
import { ConfigError, InvalidDocNameError, InvalidOpIdError, NotRunningError, WriteConcernUnsatisfiableError, createLogger, createPeer, streamSink } from '../../src/index.js'
import type { FlushOptions, MeshViewOptions, Peer, PeerOptions, WriteOptions } from '../../src/index.js'
import { cleanup, tempDir } from '../helpers/procs.js'

const LISTEN = ['/ip4/127.0.0.1/tcp/0']
const peers: Peer[] = []

async function peer (dataDir?: string): Promise<Peer> {
  const p = await createPeer({ listen: LISTEN, profile: 'local', ...(dataDir === undefined ? {} : { dataDir }) })
  peers.push(p)
  return p
}

/** An in-memory peer whose warnings and errors are kept in `lines`. */
async function loggedPeer (): Promise<{ p: Peer, lines: string[] }> {
  const lines: string[] = []
  const p = await createPeer({ listen: LISTEN, profile: 'local', logger: createLogger(streamSink((line) => { lines.push(line) }), 'warn') })
  peers.push(p)
  return { p, lines }
}

/** How a promise settled within `ms` (a hang is an answer too). */
async function outcome (p: Promise<unknown>, ms = 2_000): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise(resolve => { timer = setTimeout(() => { resolve('hang') }, ms) })
  try {
    return await Promise.race([p.then(v => ({ resolved: v }), (err: unknown) => err), hang])
  } finally {
    clearTimeout(timer)
  }
}

const set = (d: Y.Doc): void => { d.getMap('kv').set('k', 1) }
/** What a JavaScript caller may pass where a string is expected. */
const loose = (v: unknown): string => v as string

afterEach(async () => { await Promise.all(peers.splice(0).map(async p => { await p.stop() })) })
afterAll(cleanup)

describe('doc names that are not strings (refused by assertDocName since main\'s a9103cf)', () => {
  test.each([
    ['a number', 123, 'number'],
    ['an object', {}, 'object'],
    ['an array', ['a'], 'object'],
    ['null', null, 'null']
  ])('%s: InvalidDocNameError at every entry point, nothing opened', async (_, name, shown) => {
    const p = await peer()
    const message = `a doc name is a string, not ${shown}`
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['write', async () => await p.write(loose(name), set)],
      ['doc', async () => await p.doc(loose(name))],
      ['hold', async () => await p.hold(loose(name))],
      ['counter', async () => await p.counter(loose(name))],
      ['read', async () => await p.read(loose(name), d => d.guid)],
      ['find', async () => await p.find(loose(name))],
      ['delete', async () => await p.delete(loose(name))],
      ['flush', async () => await p.flush(loose(name), { replicas: 1 })],
      ['close', async () => { p.close(loose(name)) }],
      ['hasDoc', async () => p.hasDoc(loose(name))],
      ['homes', async () => p.homes(loose(name))]
    ]
    for (const [call, run] of calls) {
      const err = await outcome(run())
      expect(err, call).toBeInstanceOf(InvalidDocNameError)
      expect((err as Error).message, call).toBe(message)
    }
    expect(p.docs()).toEqual([])
  })

  test('presence with a name no doc can have: InvalidDocNameError, nothing joined (5 was joined, and with another member up then threw a TypeError from the frame encoder; NUL and 100,000 characters were joined)', async () => {
    const p = await peer()
    const entries = [{ clientId: 1, clock: 1, state: '{}' }]
    for (const name of [5, '\u0000', 'x'.repeat(100_000)]) {
      expect(() => p.presence.join(loose(name)), String(name).slice(0, 10)).toThrow(InvalidDocNameError)
      expect(() => p.presence.setLocal(loose(name), entries)).toThrow(InvalidDocNameError)
      expect(() => p.presence.removeLocal(loose(name), [1])).toThrow(InvalidDocNameError)
    }
    expect(p.stats().presence).toMatchObject({ localDocs: 0, states: 0 })
  })

  test('flush of a name no doc can have is InvalidDocNameError, as for every other entry point (was DocNotFoundError)', async () => {
    const p = await peer()
    await expect(p.flush('', { replicas: 1 })).rejects.toThrow(InvalidDocNameError)
    await expect(p.flush('a\u0000b', { replicas: 1 })).rejects.toThrow(/^doc name .* holds a control character at character 2$/)
  })
})

describe('options objects a JavaScript caller gets wrong', () => {
  test.each([
    ['write', (p: Peer, o: unknown) => p.write('d', set, o as WriteOptions)],
    ['delete', (p: Peer, o: unknown) => p.delete('d', o as WriteOptions)],
    ['counter.add', async (p: Peer, o: unknown) => await (await p.counter('d')).add(1, o as WriteOptions)]
  ])('%s with options null: a TypeError naming them (was "Cannot read properties of null")', async (call, run) => {
    const p = await peer()
    await p.write('d', set)
    const err = await outcome(run(p, null))
    expect(err).toBeInstanceOf(TypeError)
    expect((err as Error).message).toBe(`${call}: options must be an object, got null`)
  })

  test('flush without options, or with null: a TypeError saying what it takes', async () => {
    const p = await peer()
    await p.write('d', set)
    await expect(p.flush('d', undefined as unknown as FlushOptions)).rejects.toThrow(/^flush: options must be an object \{ replicas, timeoutMs\? \}, got undefined$/)
    await expect(p.flush('d', null as unknown as FlushOptions)).rejects.toThrow(/^flush: options must be an object \{ replicas, timeoutMs\? \}, got null$/)
  })

  test('counter with a map name that is not a string: a TypeError (5 and {} were coerced: "5", "[object Object]")', async () => {
    const p = await peer()
    await expect(p.counter('c', 5 as unknown as string)).rejects.toThrow(/^counter: mapName must be a string, got number$/)
    await expect(p.counter('c', {} as unknown as string)).rejects.toThrow(TypeError)
    expect(p.docs()).toEqual([])
  })

  test('delete with a malformed opId is InvalidOpIdError at once, as write is (was DocNotFoundError after asking the mesh)', async () => {
    const p = await peer()
    await expect(p.delete('nobody-has-it', { opId: '' })).rejects.toThrow(InvalidOpIdError)
    await expect(p.delete('nobody-has-it', { opId: 'x'.repeat(300) })).rejects.toThrow(InvalidOpIdError)
    await p.write('d', set)
    await expect(p.delete('d', { opId: 'bad\nkey' })).rejects.toThrow(InvalidOpIdError)
    expect(await p.read('d', d => d.getMap('kv').get('k'))).toBe(1) // nothing deleted
  })
})

describe('event listeners', () => {
  test('a listener that throws: the write, the other listeners and the peer go on, and the error is logged (it vanished without a trace)', async () => {
    const { p, lines } = await loggedPeer()
    const heard: string[] = []
    p.on('doc', () => { throw new Error('my listener broke') })
    p.on('doc', (e) => { heard.push(e.name) })
    await p.write('d', set)
    expect(heard).toContain('d')
    expect(lines.filter(l => l.includes('my listener broke'))).toHaveLength(1)
    expect(lines.find(l => l.includes('my listener broke'))).toMatch(/a listener of peer\.on\("doc"\) threw/)
  })

  test('on() with an unknown event or a listener that is not a function: a TypeError at once (was accepted, never called)', async () => {
    const p = await peer()
    expect(() => p.on('docs' as 'doc', () => {})).toThrow(/^on: unknown event "docs": one of member, doc, durable$/)
    expect(() => p.on('doc', 5 as unknown as () => void)).toThrow(TypeError)
    expect(() => p.on('doc', 5 as unknown as () => void)).toThrow(/^on: the listener must be a function, got number$/)
  })
})

describe('flush that no wait could satisfy', () => {
  test('more copies than members up: refused at once, not after the whole timeout', async () => {
    const p = await peer(tempDir('murmur-qa-lib-'))
    await p.write('d', set)
    const started = Date.now()
    const err = await outcome(p.flush('d', { replicas: 2, timeoutMs: 1_500 }))
    expect(err).toBeInstanceOf(WriteConcernUnsatisfiableError)
    expect((err as Error).message).toBe('flush of "d": 2 durable copies on distinct peers cannot be had: only 1 member is up (this peer included); the doc stays durable here and keeps replicating')
    expect(Date.now() - started).toBeLessThan(500)
    expect(await outcome(p.flush('d', { replicas: 1 }))).toHaveProperty('resolved')
  })

  test('an in-memory peer alone: its own copy never counts, so even 1 copy is refused at once', async () => {
    const p = await peer()
    await p.write('d', set)
    const err = await outcome(p.flush('d', { replicas: 1, timeoutMs: 1_500 }))
    expect(err).toBeInstanceOf(WriteConcernUnsatisfiableError)
    expect((err as Error).message).toMatch(/^flush of "d": 1 durable copy on distinct peers cannot be had: this peer has no data dir \(its copy never counts\) and no other member is up; /)
  })
})

describe('misspelt or mistyped options', () => {
  test.each([
    // A misspelt dataDir started an in-memory peer: every write gone at the next restart.
    ['a misspelt key', { dataDri: '/tmp/x' }, /^unknown option "dataDri" \(did you mean dataDir\?\)$/],
    ['a key far from any', { http: '127.0.0.1:8080' }, /^unknown option "http" \(options: dataDir, listen, bootstrap, /],
    ['a logger that is not one (was "(init.logger ?? silentLogger).child is not a function")', { logger: 5 }, /^logger must be a Logger \(debug, info, warn, error and child functions; createLogger makes one\), got 5$/],
    ['mdns neither a boolean nor { cluster } (was taken as true)', { mdns: 'yes' }, /^mdns must be true, false or \{ cluster \}, got "yes"$/]
  ])('createPeer with %s: a ConfigError before anything opens', async (_, options, message) => {
    const err = await outcome(createPeer({ listen: LISTEN, ...options } as Record<string, unknown>).then(async (p) => { await p.stop(); return p }))
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toMatch(message)
  })

  test.each([
    ['null (was "Cannot read properties of null")', null, 'null'],
    ['a number (started a peer)', 5, 'number']
  ])('createPeer with options %s: a ConfigError', async (_, options, shown) => {
    const err = await outcome(createPeer(options as PeerOptions).then(async (p) => { await p.stop(); return p }))
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toBe(`createPeer options must be an object, got ${shown}`)
  })

  test('a write, delete or flush option misspelt is a TypeError naming it: { opid } wrote without its key, so a retry applied twice', async () => {
    const p = await peer()
    await p.write('d', set)
    const keyed = { opid: 'click-1' } as WriteOptions
    await expect(p.write('d', set, keyed)).rejects.toThrow(/^write: unknown option "opid" \(did you mean opId\?\)$/)
    await expect(p.delete('d', keyed)).rejects.toThrow(TypeError)
    await expect((await p.counter('d')).add(1, { retries: 5 } as WriteOptions)).rejects.toThrow(/^counter\.add: unknown option "retries" \(options: bytes, opId, fingerprint, timeoutMs, onReplay\)$/)
    await expect(p.flush('d', { replicas: 1, timeout: 5 } as FlushOptions)).rejects.toThrow(/^flush: unknown option "timeout" \(did you mean timeoutMs\?\)$/)
    expect(await p.read('d', d => d.getMap('kv').get('k'))).toBe(1)
  })
})

describe('write with a function that is async', () => {
  test('rejects with a TypeError once durable, and its later failure is logged, not an unhandled rejection that ended the process', async () => {
    const { p, lines } = await loggedPeer()
    const unhandled: unknown[] = []
    const onUnhandled = (err: unknown): void => { unhandled.push(err) }
    process.on('unhandledRejection', onUnhandled)
    try {
      const fn = async (d: Y.Doc): Promise<void> => {
        d.getMap('kv').set('before', 1)
        await Promise.resolve()
        throw new Error('after the await')
      }
      await expect(p.write('d', fn)).rejects.toThrow(/^write: fn returned a promise: a write runs fn synchronously, in one transaction; what it does after an await is not part of the write$/)
      await new Promise(resolve => setTimeout(resolve, 50))
      expect(unhandled).toEqual([])
      expect(lines.some(l => l.includes('after the await'))).toBe(true)
      expect(await p.read('d', d => d.getMap('kv').get('before'))).toBe(1) // what it did before the await is kept, as for a throw
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  test('write and read with a function that is no function: a TypeError naming it, nothing opened', async () => {
    const p = await peer()
    await expect(p.write('d', 'set' as unknown as () => void)).rejects.toThrow(/^write: fn must be a function, got string$/)
    await expect(p.read('d', undefined as unknown as () => void)).rejects.toThrow(/^read: fn must be a function, got undefined$/)
    expect(p.docs()).toEqual([])
  })
})

describe('advertiseHttp', () => {
  test('a URL that is not a string, or holds a control character, is refused and changes nothing (5 was set as our own member tag, then threw from deep inside)', async () => {
    const p = await peer()
    const before = p.self()
    expect(() => { p.advertiseHttp(5 as unknown as string) }).toThrow(/^advertiseHttp: the URL must be a string or undefined, got number$/)
    expect(() => { p.advertiseHttp('http://127.0.0.1:8080/\n') }).toThrow(ConfigError)
    expect(p.self()).toEqual(before)
    p.advertiseHttp('http://127.0.0.1:8080')
    expect(p.self().tags).toEqual({ 'murmur.http': 'http://127.0.0.1:8080' })
  })
})

describe('meshViews, partition and heal', () => {
  test('meshViews with options it cannot use: refused at once (a timeout past Node\'s timer limit gave up after 1 ms; null was "Cannot read properties of null")', async () => {
    const p = await peer()
    await expect(p.meshViews({ timeoutMs: 1e12 })).rejects.toThrow(/^meshViews: timeoutMs must be a number of ms from 0 to 2147483647, got 1000000000000$/)
    await expect(p.meshViews({ timeoutMs: -1 })).rejects.toThrow(RangeError)
    await expect(p.meshViews(null as unknown as MeshViewOptions)).rejects.toThrow(/^meshViews: options must be an object, got null$/)
    await expect(p.meshViews({ peers: 'abc' as unknown as string[] })).rejects.toThrow(/^meshViews: peers must be an array of peer ids, got string$/)
    await expect(p.meshViews({ timeout: 5 } as MeshViewOptions)).rejects.toThrow(/^meshViews: unknown option "timeout" \(did you mean timeoutMs\?\)$/)
    expect(await p.meshViews({ timeoutMs: 10 })).toEqual(new Map())
  })

  test('partition and heal with something that is not a list of peer ids: a TypeError naming it (was "block.filter is not a function")', async () => {
    const p = await peer()
    expect(() => { p.partition('12D3KooW' as unknown as string[]) }).toThrow(/^partition: peers must be an array of peer ids, got string$/)
    expect(() => { p.heal(null as unknown as string[]) }).toThrow(/^heal: peers must be an array of peer ids, got null$/)
    expect(p.blocked()).toEqual([])
  })
})

describe('stop while reads wait for other peers', () => {
  test('doc, hold, read, find and delete waiting for a peer reject with NotRunningError at once (doc and hold resolved a second later with a destroyed Y.Doc)', async () => {
    const a = await peer()
    const b = await createPeer({ listen: LISTEN, profile: 'local', bootstrap: a.addresses() })
    peers.push(b)
    const deadline = Date.now() + 5_000
    while (a.members().filter(m => m.state === 'alive').length < 2 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    // b stays alive in a's view but answers nothing: each call waits for it.
    a.partition([b.id])
    b.partition([a.id])
    const waiting = [a.doc('n1'), a.hold('n2'), a.read('n3', d => d.guid), a.find('n4'), a.delete('n5')]
    await new Promise(resolve => setTimeout(resolve, 50))
    const stopped = Date.now()
    await a.stop()
    const outcomes = await Promise.all(waiting.map(async w => await outcome(w, 2_000)))
    for (const o of outcomes) {
      expect(o).toBeInstanceOf(NotRunningError)
    }
    expect(Date.now() - stopped).toBeLessThan(300)
  })
})

describe('closing a doc in the middle of a write to it', () => {
  test('close from the write\'s fn, a doc listener or a transaction on the live doc keeps the change (it resolved "durable" with an empty version, and the change was gone)', async () => {
    const dataDir = tempDir('murmur-qa-lib-')
    const p = await peer(dataDir)
    await p.doc('in-fn')
    const inFn = await p.write('in-fn', (d) => { d.getMap('kv').set('k', 1); p.close('in-fn') })
    expect(Object.keys(inFn)).toHaveLength(1)
    const off = p.on('doc', (e) => { if (e.name === 'in-listener') p.close(e.name) })
    const inListener = await p.write('in-listener', (d) => { d.getMap('kv').set('k', 2) })
    off()
    expect(Object.keys(inListener)).toHaveLength(1)
    const held = await p.hold('in-release')
    await p.write('in-release', (d) => { d.getMap('kv').set('k', 3); held.release() })
    const live = await p.doc('in-transact')
    live.transact(() => { live.getMap('kv').set('k', 4); p.close('in-transact') })
    await p.flush('in-transact', { replicas: 1 })
    await p.stop()
    const again = await peer(dataDir)
    expect(await again.read('in-transact', d => d.getMap('kv').get('k'))).toBe(4)
    expect(await again.read('in-fn', d => d.getMap('kv').get('k'))).toBe(1)
    expect(await again.read('in-listener', d => d.getMap('kv').get('k'))).toBe(2)
    expect(await again.read('in-release', d => d.getMap('kv').get('k'))).toBe(3)
  })
})
