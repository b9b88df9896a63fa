/**
 * Who may open a WebSocket: the HTTP API's own check (http/access.ts: Host, Origin, token — the token also
 * as `?access_token=`, since browsers cannot set headers on a WebSocket), on the upgrade request. Its
 * refusals become close codes a y-websocket client understands (4401, 4403: permanent, it stops retrying),
 * except a foreign Host (DNS rebinding), which is answered as HTTP 403 before any WebSocket handshake.
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
    beforeHandshake: err.code === 'host_not_allowed',
    closeCode: err.status === 401 ? CloseCode.unauthorized : err.status === 403 ? CloseCode.forbidden : CloseCode.badRequest,
    reason: err.message.slice(0, 120),
    counter: err.code
  }
}
