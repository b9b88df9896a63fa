/**
 * Who may open a WebSocket: the HTTP API's own check (http/access.ts: Host, Origin, token — the token also
 * as `?access_token=`, since browsers cannot set headers on a WebSocket), on the upgrade request.
 *
 * A foreign Host (DNS rebinding) or a foreign Origin (a page of another site: no CORS rule protects a
 * WebSocket) is answered as a plain HTTP 403 with the API's error body before any handshake, so such a
 * page never gets an open socket. A missing or wrong token is refused after the handshake instead, with a
 * y-protocols permission-denied message and close code 4401: y-websocket stops retrying only on a 44xx close
 * code, and a failed handshake would make a misconfigured client reconnect forever. Nothing of the document
 * is sent before the refusal.
 */
import type { IncomingMessage } from 'node:http'
import type { HttpError } from '../http/errors.js'
import { CloseCode } from './close-codes.js'

/** Returns undefined when the upgrade may proceed, else the refusal (the API's AccessCheck, bound to the WebSocket route). */
export type UpgradeCheck = (req: IncomingMessage) => HttpError | undefined

export interface UpgradeRefusal {
  /** Answer the raw HTTP request instead of completing the handshake. */
  readonly beforeHandshake: boolean
  readonly closeCode: number
  readonly reason: string
  /** Its label in `murmur_yjs_refused_total` (the API's error code). */
  readonly counter: string
}

export function upgradeRefusal (err: HttpError): UpgradeRefusal {
  return {
    beforeHandshake: err.code === 'host_not_allowed' || err.code === 'cross_origin',
    closeCode: err.status === 401 ? CloseCode.unauthorized : err.status === 403 ? CloseCode.forbidden : CloseCode.badRequest,
    reason: err.message.slice(0, 120),
    counter: err.code
  }
}
