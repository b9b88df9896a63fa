/**
 * Private mesh enforcement. With a pre-shared key, every connection must go through @libp2p/pnet's
 * protector (XSalsa20 over the raw socket, below Noise). libp2p only enforces that with the
 * LIBP2P_FORCE_PNET environment variable, and even then not when the protector is simply omitted, so
 * murmur checks it itself: the protector is wrapped to remember every connection it protected, and the
 * connection gater refuses any connection that reaches the encrypted stage without having been protected
 * (fail closed).
 */
import { preSharedKey } from '@libp2p/pnet'
import type { AbortOptions, ConnectionProtector, MessageStream, MultiaddrConnection } from '@libp2p/interface'
import { withoutPeerId } from './addresses.js'
import type { ParsedPsk } from './psk.js'

/** Remembered outbound protections (for dial diagnosis); the oldest is forgotten beyond it. */
const MAX_RECENT_OUTBOUND = 1024

export class PrivateMeshGuard {
  private readonly protectedConns = new WeakSet<MessageStream>()
  /**
   * Remote address → when we last started protecting an outbound connection to it. pnet runs before
   * libp2p's first upgrade progress event, so this is how a failed dial knows TCP had connected and the
   * key exchange is what failed.
   */
  private readonly recentOutbound = new Map<string, number>()

  constructor (readonly psk: ParsedPsk, private readonly nonceTimeoutMs: number) {}

  /** The libp2p `connectionProtector` factory: pnet, instrumented. */
  protector (): () => ConnectionProtector {
    const inner = preSharedKey({ psk: this.psk.fileBytes, timeout: this.nonceTimeoutMs })()
    return () => ({
      protect: async (connection: MessageStream, options?: AbortOptions): Promise<MessageStream> => {
        this.protectedConns.add(connection)
        if (connection.direction === 'outbound') this.noteOutbound(connection)
        return await inner.protect(connection, options)
      }
    })
  }

  /** True if an outbound connection to one of `addrs` (multiaddr strings without /p2p) reached pnet since `since` (ms, performance.now). */
  protectionStartedSince (addrs: readonly string[], since: number): boolean {
    return addrs.some(a => (this.recentOutbound.get(a) ?? -Infinity) >= since)
  }

  private noteOutbound (connection: MessageStream): void {
    const remote = (connection as Partial<MultiaddrConnection>).remoteAddr
    if (remote === undefined) return
    const key = withoutPeerId(remote).toString()
    this.recentOutbound.delete(key)
    this.recentOutbound.set(key, performance.now())
    if (this.recentOutbound.size > MAX_RECENT_OUTBOUND) {
      const oldest = this.recentOutbound.keys().next().value
      if (oldest !== undefined) this.recentOutbound.delete(oldest)
    }
  }

  /** True iff `maConn` went through the pnet protector. */
  isProtected (maConn: MultiaddrConnection): boolean {
    return this.protectedConns.has(maConn)
  }
}
