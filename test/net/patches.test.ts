/**
 * Runtime patches of dependencies' internals: lazy yamux window updates (src/net/yamux-window.ts) and length
 * prefixes read without an exception per chunk (src/net/length-prefix-patch.ts), no event built for an event
 * nobody listens to (src/net/quiet-dispatch.ts).
 * A patch is feature-detected and silently skipped when the internals change, so this test is what notices:
 * it fails when the patched package is not pinned to an exact version in package.json, when the installed
 * version differs from the pinned one, or when the patch no longer applies to what is installed.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { TypedEventEmitter } from '@libp2p/interface'
import { describe, expect, test } from 'vitest'
import { installQuietLengthDecoding } from '../../src/net/length-prefix-patch.js'
import { patchMethod } from '../../src/net/patch-method.js'
import { installQuietDispatch } from '../../src/net/quiet-dispatch.js'
import { installLazyWindowUpdates } from '../../src/net/yamux-window.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const PATCHES: Array<{ pkg: string, apply: () => boolean }> = [
  { pkg: '@chainsafe/libp2p-yamux', apply: installLazyWindowUpdates },
  { pkg: '@libp2p/utils', apply: installQuietLengthDecoding }
]

/** The version Node loads for `pkg` from this project (its exports map hides package.json from import). */
function installedVersion (pkg: string): string {
  return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version
}

describe('patched dependencies', () => {
  const deps = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies
  test.each(PATCHES)('$pkg: pinned exactly, installed as pinned, and the patch applies', ({ pkg, apply }) => {
    const pinned = deps[pkg]
    expect(pinned, `${pkg} in dependencies`).toMatch(/^\d+\.\d+\.\d+$/)
    expect(installedVersion(pkg)).toBe(pinned)
    expect(apply()).toBe(true)
  })
})

describe('patchMethod', () => {
  test('wraps a method once however often it is installed, and leaves a missing one alone', () => {
    class Target { calls: string[] = []; greet (): void { this.calls.push('original') } }
    const wrap = (original: (this: Target) => void) => function (this: Target): void { this.calls.push('wrapper'); original.call(this) }
    expect(patchMethod(Target.prototype, 'greet', wrap)).toBe(true)
    expect(patchMethod(Target.prototype, 'greet', wrap)).toBe(true)
    const t = new Target()
    t.greet()
    expect(t.calls).toEqual(['wrapper', 'original'])
    expect(patchMethod(Target.prototype, 'missing', wrap)).toBe(false)
    expect('missing' in Target.prototype).toBe(false)
  })
})

describe('quiet dispatch (quiet-dispatch.ts)', () => {
  /** Runs `fn`, counting the CustomEvents built meanwhile (safeDispatchEvent builds one per dispatch). */
  const countingEvents = (fn: () => void): string[] => {
    const built: string[] = []
    const Original = globalThis.CustomEvent
    globalThis.CustomEvent = class extends Original<unknown> {
      constructor (type: string, init?: CustomEventInit<unknown>) { super(type, init); built.push(type) }
    } as typeof CustomEvent
    try { fn() } finally { globalThis.CustomEvent = Original }
    return built
  }

  test('safeDispatchEvent builds and dispatches no event of a type nobody listens to, and still reaches listeners', () => {
    expect(installQuietDispatch()).toBe(true)
    const emitter = new TypedEventEmitter<{ idle: CustomEvent, drain: CustomEvent<string> }>()
    const got: string[] = []
    const built = countingEvents(() => {
      // What every layer of a connection does after each write: nothing listens to 'idle'.
      expect(emitter.safeDispatchEvent('idle')).toBe(true)
      const listener = (evt: CustomEvent<string>): void => { got.push(evt.detail) }
      emitter.addEventListener('drain', listener)
      expect(emitter.safeDispatchEvent('drain', { detail: 'once' })).toBe(true)
      emitter.removeEventListener('drain', listener)
      expect(emitter.safeDispatchEvent('drain', { detail: 'nobody' })).toBe(true)
      emitter.addEventListener('idle', () => { got.push('idle') }, { once: true })
      emitter.safeDispatchEvent('idle')
      emitter.safeDispatchEvent('idle')
    })
    expect(got).toEqual(['once', 'idle'])
    expect(built).toEqual(['drain', 'idle'])
  })

  test('an emitter whose dispatchEvent was replaced (libp2p forwards its internal events to the node) is always dispatched to', () => {
    expect(installQuietDispatch()).toBe(true)
    const bus = new TypedEventEmitter<{ 'peer:connect': CustomEvent<string> }>()
    const forwarded: string[] = []
    const dispatch = bus.dispatchEvent.bind(bus)
    bus.dispatchEvent = (event) => { forwarded.push(event.type); return dispatch(event) }
    bus.safeDispatchEvent('peer:connect', { detail: 'p' })
    expect(forwarded).toEqual(['peer:connect'])
  })
})
