/**
 * Lazy yamux window updates. `@chainsafe/libp2p-yamux` 8 sends a WINDOW_UPDATE frame after *every* data
 * frame it receives (its `sendWindowUpdate` returns early only while the window is still full). For SWIM's
 * small frames that doubles the frames on the wire: every ping and every ack is answered by a window update
 * of its own — 12 bytes of yamux header, Noise framing and a TCP/IP packet, about 160 B/s per member at
 * N = 10, which is most of the gap to Serf's idle traffic.
 *
 * The yamux spec (and HashiCorp's and go-yamux's implementations) only require an update before the
 * sender runs out of window; they send one once half the window has been consumed. We do the same by
 * wrapping the stream's method: while more than half the receive window is still free and the stream is
 * established (no SYN/ACK flags to carry), the update is skipped; otherwise yamux's own logic runs
 * unchanged (including its window growth). Feature-detected: if yamux's internals ever differ, nothing is
 * patched and only the idle-traffic figure suffers.
 */
import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream'
import { patchMethod } from './patch-method.js'

interface WindowInternals {
  state: unknown
  recvWindow: unknown
  recvWindowCapacity: unknown
}

/** Patches YamuxStream once per process. Returns whether the patch is active. */
export function installLazyWindowUpdates (): boolean {
  return patchMethod<(this: WindowInternals) => void>(YamuxStream.prototype, 'sendWindowUpdate', (original) => function (this: WindowInternals): void {
    const { state, recvWindow, recvWindowCapacity } = this
    if (state === StreamState.Established && typeof recvWindow === 'number' && typeof recvWindowCapacity === 'number' &&
        recvWindowCapacity > recvWindow / 2) {
      return
    }
    original.call(this)
  })
}
