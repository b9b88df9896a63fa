/**
 * Watches inbound connections from TCP accept until the security handshake completes, and logs one
 * rate-limited line for each that dies before it does. libp2p reports these failures only in its debug
 * log; with a pre-shared key they are how a peer without the key shows up, so operators need to see them.
 *
 * Not every early close is news: without a key, a remote that simply hung up (it is stopping, or gave up
 * dialling) is logged at debug, and once our own transport is closing — libp2p aborts every upgrade in
 * progress — nothing is counted or warned (diagnose.ts says which failures are which).
 */
import type { MultiaddrConnection } from '@libp2p/interface'
import type { Logger, RateLimitedLog } from '../core/logger.js'
import { diagnoseInboundHandshakeFailure } from './diagnose.js'
import type { FirstBytes } from './first-bytes.js'

export interface HandshakeWatchDeps {
  warnings: RateLimitedLog
  /** For the lines that are not warnings (routine hang-ups, our own shutdown). */
  log?: Logger
  pskConfigured: boolean
  now: () => number
  /** Counts a failed inbound handshake (`rejectedConnections.handshakeFailed`). */
  onFailed: () => void
  /** True once our transport's close() has begun: failures are then our doing. */
  isClosing?: () => boolean
  /** What the connection sent first (no key configured; first-bytes.ts). */
  firstBytes?: (maConn: MultiaddrConnection) => FirstBytes | undefined
  fingerprint?: string
}

export class HandshakeWatch {
  private readonly pending = new WeakMap<MultiaddrConnection, number>()

  constructor (private readonly deps: HandshakeWatchDeps) {}

  /** A raw inbound connection was accepted (gater: denyInboundConnection). */
  accepted (maConn: MultiaddrConnection): void {
    this.pending.set(maConn, this.deps.now())
    maConn.addEventListener('close', (evt) => {
      const started = this.pending.get(maConn)
      if (started === undefined) return
      this.pending.delete(maConn)
      const from = maConn.remoteAddr.toString()
      const { warnings, log, pskConfigured } = this.deps
      const d = diagnoseInboundHandshakeFailure(evt.error, this.deps.now() - started, pskConfigured, this.deps.firstBytes?.(maConn))
      if (this.deps.isClosing?.() === true) {
        log?.debug(`inbound connection from ${from} closed by our shutdown during its handshake`, { kind: d.kind })
        return
      }
      this.deps.onFailed()
      const prefix = pskConfigured ? `rejected inbound connection from ${from}` : `inbound connection from ${from} failed`
      if (!d.warn) {
        log?.debug(`${prefix}: ${d.explanation}`)
        return
      }
      const host = from.split('/tcp/')[0] ?? from
      warnings.warn(`handshake:${host}`, `${prefix}: ${d.explanation}`, { psk: this.deps.fingerprint })
    }, { once: true })
  }

  /** The connection got past encryption (gater: denyInboundEncryptedConnection). */
  secured (maConn: MultiaddrConnection): void {
    this.pending.delete(maConn)
  }
}
