/**
 * No event object for an event nobody listens to. libp2p's message streams — every layer of every
 * connection: TCP, the pass-through protector, Noise, yamux and each of its streams — announce 'idle'
 * with `safeDispatchEvent` after every write that empties their buffer, and it builds a CustomEvent and
 * dispatches it whether anyone listens or not. Nobody does on a working connection (a graceful close
 * listens while it waits for the buffer to empty): an idle meshed peer built and threw away five events
 * per frame it sent, 1.6 % of its CPU (perf, 20 idle peers on loopback; issue 11).
 *
 * The patch dispatches only when the emitter has a listener of that type; `listenerCount` counts every
 * listener added through the emitter (its own `addEventListener` records them all), and dispatching to
 * none has no effect but to return true, which is what it returns then. Feature-detected; the emitter
 * is the one class all of libp2p's emitters share (main-event, re-exported by @libp2p/interface).
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { patchMethod } from './patch-method.js'

interface Emitter {
  listenerCount?: (type: string) => number
}

/** Patches TypedEventEmitter once per process. Returns whether the patch is active. */
export function installQuietDispatch (): boolean {
  if (typeof (TypedEventEmitter.prototype as Emitter).listenerCount !== 'function') return false
  return patchMethod<(this: Emitter, type: string, detail?: unknown) => boolean>(TypedEventEmitter.prototype, 'safeDispatchEvent', (original) => function (this: Emitter, type: string, detail?: unknown): boolean {
    if (this.listenerCount?.(type) === 0) return true
    return original.call(this, type, detail)
  })
}
