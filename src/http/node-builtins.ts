/**
 * node:http, node:https and node:tls, loaded with require() instead of `import` (issue 11: an idle peer's
 * memory). An ESM import of a built-in module builds its ESM facade, which reads every one of its exports,
 * and node:http's `WebSocket`, `CloseEvent` and `MessageEvent` are getters that load undici and, through it,
 * node:http2: ~10 MB more RSS in a bare process, for a client a peer never uses. require() returns the plain
 * exports and leaves those getters alone. https and tls are loaded on first call only: a peer without TLS
 * (`--https-cert`) never needs them.
 */
import { createRequire } from 'node:module'

type Http = typeof import('node:http')
type Https = typeof import('node:https')
type Tls = typeof import('node:tls')

const load = createRequire(import.meta.url)

/** node:http, as require('node:http') returns it. */
export const nodeHttp = load('node:http') as Http

/** node:https, loaded on first use. */
export function nodeHttps (): Https {
  return load('node:https') as Https
}

/** node:tls, loaded on first use. */
export function nodeTls (): Tls {
  return load('node:tls') as Tls
}
