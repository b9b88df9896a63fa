/**
 * Who may open a WebSocket: the HTTP API's rules, on the upgrade request. A browser cannot set headers on
 * a WebSocket, so the token comes as `?access_token=` (RFC 6750 §2.3), which `bearerAuthorizer` accepts;
 * browsers always send `Origin` on a WebSocket handshake, and a page of another site is refused, as the
 * API refuses its cross-site writes (a WebSocket carries writes).
 */
import type { IncomingMessage } from 'node:http'
import { bearerAuthorizer, sameOrigin } from '../http/auth.js'
import { CloseCode } from './close-codes.js'

export type UpgradeVerdict =
  | { readonly ok: true }
  | { readonly ok: false, readonly code: number, readonly reason: string, readonly counter: string }

export type UpgradeAuthorizer = (req: IncomingMessage) => UpgradeVerdict

export function upgradeAuthorizer (token: string | undefined): UpgradeAuthorizer {
  const bearer = bearerAuthorizer(token)
  return (req) => {
    if (!bearer(req)) return { ok: false, code: CloseCode.unauthorized, reason: 'missing or wrong access_token', counter: 'unauthorized' }
    if (!sameOrigin(req)) return { ok: false, code: CloseCode.forbidden, reason: 'cross-origin WebSocket refused', counter: 'cross_origin' }
    return { ok: true }
  }
}
