/**
 * Watches inbound connections from TCP accept until the security handshake completes, and logs one
 * rate-limited line for each that dies before it does. libp2p reports these failures only in its debug
 * log; with a pre-shared key they are how a peer without the key shows up, so operators need to see them.
 */
import type { MultiaddrConnection } from '@libp2p/interface'
import type { RateLimitedLog } from '../core/logger.js'
import { explainInboundHandshakeFailure } from './diagnose.js'

export class HandshakeWatch {
  private readonly pending = new WeakMap<MultiaddrConnection, number>()

  constructor (
    private readonly warnings: RateLimitedLog,
    private readonly pskConfigured: boolean,
    private readonly now: () => number,
    private readonly onFailed: () => void,
    private readonly fingerprint?: string
  ) {}

  /** A raw inbound connection was accepted (gater: denyInboundConnection). */
  accepted (maConn: MultiaddrConnection): void {
    this.pending.set(maConn, this.now())
    maConn.addEventListener('close', (evt) => {
      const started = this.pending.get(maConn)
      if (started === undefined) return
      this.pending.delete(maConn)
      this.onFailed()
      const from = maConn.remoteAddr.toString()
      const host = from.split('/tcp/')[0] ?? from
      const prefix = this.pskConfigured ? `rejected inbound connection from ${from}` : `inbound connection from ${from} failed`
      this.warnings.warn(`handshake:${host}`, `${prefix}: ${explainInboundHandshakeFailure(evt.error, this.now() - started, this.pskConfigured)}`, {
        psk: this.fingerprint
      })
    }, { once: true })
  }

  /** The connection got past encryption (gater: denyInboundEncryptedConnection). */
  secured (maConn: MultiaddrConnection): void {
    this.pending.delete(maConn)
  }
}
