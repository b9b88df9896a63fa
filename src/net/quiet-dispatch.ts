/**
 * No event object for an event nobody listens to. libp2p's message streams — every layer of every
 * connection: TCP, the pass-through protector, Noise, yamux and each of its streams — announce 'idle'
 * with `safeDispatchEvent` after every write that empties their buffer, and it builds a CustomEvent and
 * dispatches it whether anyone listens or not. Nobody does on a working connection (a graceful close
 * listens while it waits for the buffer to empty): an idle meshed peer built and threw away five events
 * per frame it sent, 1.6 % of its CPU (perf, 20 idle peers on loopback; issue 11).
 *
 * The patch skips the dispatch only when the emitter has no listener of that type (`listenerCount` counts
 * every listener added through the emitter: its own `addEventListener` records them all) and dispatches
 * the plain way: libp2p's internal event bus replaces `dispatchEvent` on its instance to forward every
 * event to the node's own listeners ('peer:connect' and the like), so an emitter whose `dispatchEvent` is
 * not EventTarget's own is always dispatched to. Otherwise dispatching to no one has no effect but to
 * return true, which is what it returns then. Feature-detected; the emitter is the one class all of
 * libp2p's emitters share (main-event, re-exported by @libp2p/interface).
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { patchMethod } from './patch-method.js'

interface Emitter {
  listenerCount?: (type: string) => number
  dispatchEvent?: unknown
}

/** EventTarget's own dispatch, which an emitter uses unless something replaced it. */
const PLAIN_DISPATCH: unknown = TypedEventEmitter.prototype.dispatchEvent

/** Patches TypedEventEmitter once per process. Returns whether the patch is active. */
export function installQuietDispatch (): boolean {
  if (typeof (TypedEventEmitter.prototype as Emitter).listenerCount !== 'function') return false
  return patchMethod<(this: Emitter, type: string, detail?: unknown) => boolean>(TypedEventEmitter.prototype, 'safeDispatchEvent', (original) => function (this: Emitter, type: string, detail?: unknown): boolean {
    if (this.dispatchEvent === PLAIN_DISPATCH && this.listenerCount?.(type) === 0) return true
    return original.call(this, type, detail)
  })
}
