/**
 * The public types as a TypeScript user compiles against them (`strict`, the package linked as
 * node_modules/murmur, its dist/*.d.ts): every type a public signature names can be imported by name, and
 * no `any` hides in what createPeer returns, takes or emits (found by a type that walks them).
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { ROOT, cleanup, tempDir } from '../helpers/procs.js'

const TSC = path.join(ROOT, 'node_modules', '.bin', 'tsc')

/** `any` somewhere in T, as the paths to it (never: none), down to depth D; stops at platform and Yjs types. */
const PROBE = `
import type { Peer } from 'murmur'
type YDoc = Awaited<ReturnType<Peer['doc']>>
type IsAny<T> = 0 extends 1 & T ? true : false
type Dec = [never, 0, 1, 2, 3, 4]
type Opaque = YDoc | Uint8Array | Date | RegExp | Error | import('node:events').EventEmitter | import('node:stream').Stream
export type AnyIn<T, P extends string, D extends number> =
  IsAny<T> extends true ? P :
  [D] extends [never] ? never :
  T extends Opaque ? never :
  T extends (...a: infer A) => infer R ? (AnyInArgs<A, P, Dec[D]> | AnyIn<R, \`\${P}()\`, Dec[D]>) :
  T extends PromiseLike<infer U> ? AnyIn<U, \`\${P}~\`, Dec[D]> :
  T extends ReadonlyArray<infer U> ? AnyIn<U, \`\${P}[]\`, Dec[D]> :
  T extends ReadonlyMap<infer K, infer V> ? AnyIn<K, \`\${P}<k>\`, Dec[D]> | AnyIn<V, \`\${P}<v>\`, Dec[D]> :
  T extends object ? { [K in keyof T & string]-?: AnyIn<T[K], \`\${P}.\${K}\`, Dec[D]> }[keyof T & string] :
  never
type AnyInArgs<A extends unknown[], P extends string, D extends number> = { [I in keyof A & \`\${number}\`]: AnyIn<A[I], \`\${P}(\${I})\`, D> }[keyof A & \`\${number}\`]
`

const APP = `
import { createPeer } from 'murmur'
import type { Counter, DocHold, FlushOptions, HistogramSnapshot, LogFields, LogSink, MembershipInit, MeshViewOptions, Peer, PeerEvents, PeerOptions, PeerStats, ReplicationInit, WriteOptions } from 'murmur'
import type { AnyIn } from './probe.js'

// What a user writes to build options in pieces: each part named by its own type.
const membership: MembershipInit = { probeIntervalMs: 500 }
const replication: ReplicationInit = { replicas: 2 }
const sink: LogSink = () => {}
const fields: LogFields = { doc: 'notes' }
const latency = (s: PeerStats): HistogramSnapshot => s.latency.writeAckMs
export const options: PeerOptions = { membership, replication }
export { createPeer, sink, fields, latency }

type Found = AnyIn<Peer, 'Peer', 4> | AnyIn<PeerOptions, 'PeerOptions', 4> | AnyIn<PeerEvents, 'PeerEvents', 4> | AnyIn<typeof createPeer, 'createPeer', 4>
  | AnyIn<WriteOptions, 'WriteOptions', 3> | AnyIn<FlushOptions, 'FlushOptions', 3> | AnyIn<MeshViewOptions, 'MeshViewOptions', 3> | AnyIn<Counter, 'Counter', 3> | AnyIn<DocHold, 'DocHold', 2>
// A compile error here names where an any hides: "Type '"Peer.read()..."' is not assignable to type 'never'".
export const noAny: Found[] = []
export const none: never[] = noAny
`

describe('public types', () => {
  afterAll(cleanup)

  test('every type a public signature names is exported, and no any hides in the Peer, its options, events or createPeer', () => {
    const app = tempDir('murmur-types-')
    mkdirSync(path.join(app, 'node_modules'))
    symlinkSync(ROOT, path.join(app, 'node_modules', 'murmur'))
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
    writeFileSync(path.join(app, 'probe.ts'), PROBE)
    writeFileSync(path.join(app, 'app.ts'), APP)
    writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noErrorTruncation: true,
        types: ['node'], typeRoots: [path.join(ROOT, 'node_modules', '@types')]
      },
      files: ['app.ts', 'probe.ts']
    }))
    const r = spawnSync(TSC, ['-p', app], { encoding: 'utf8', timeout: 60_000 })
    expect(`${r.stdout}${r.stderr}`).toBe('')
    expect(r.status).toBe(0)
  }, 70_000)
})
