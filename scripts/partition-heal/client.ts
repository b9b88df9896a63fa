/**
 * HTTP calls to one peer with a timeout, classified the way a Jepsen history needs them (murmur's write
 * outcomes, README "Write outcomes"):
 *
 *   ok       a 200 answer: the peer acknowledged (the write is durable there)
 *   refused  a 4xx, 503 or 507 answer: the peer says it applied nothing
 *   failed   the request provably never reached the server (connection refused): the write did not happen
 *   unknown  anything else — timeout, reset, a 500 (`outcome_unknown`, `internal`): it may or may not have happened
 */
import type { PeerProcess } from '../lib/peers.ts'

export type Outcome =
  | { kind: 'ok', body: unknown }
  | { kind: 'refused', error: string }
  | { kind: 'failed', error: string }
  | { kind: 'unknown', error: string }

/** Statuses by which murmur says a write was not applied. */
export function isRefusal (status: number): boolean {
  return (status >= 400 && status < 500) || status === 503 || status === 507
}

/** Target of a request: base URL and bearer token (a PeerProcess fits). */
export type Target = Pick<PeerProcess, 'http' | 'token'>

export async function call (target: Target, method: string, route: string, body: unknown, timeoutMs: number, headers: Record<string, string> = {}): Promise<Outcome> {
  let res: Response
  try {
    res = await fetch(`${target.http}${route}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(target.token === undefined ? {} : { authorization: `Bearer ${target.token}` }),
        ...headers
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs)
    })
  } catch (err) {
    const code = causeCode(err)
    // ECONNREFUSED: nobody listens (a killed peer): the request was never sent, so nothing was written.
    if (code === 'ECONNREFUSED') return { kind: 'failed', error: code }
    return { kind: 'unknown', error: code ?? (err instanceof Error ? err.name : String(err)) }
  }
  let text: string
  try {
    text = await res.text()
  } catch (err) {
    return { kind: 'unknown', error: `body: ${err instanceof Error ? err.name : String(err)}` }
  }
  if (res.status !== 200) return { kind: isRefusal(res.status) ? 'refused' : 'unknown', error: `HTTP ${res.status} ${text.slice(0, 120)}` }
  try {
    return { kind: 'ok', body: JSON.parse(text) as unknown }
  } catch {
    return { kind: 'unknown', error: `HTTP 200 with a body that is not JSON: ${text.slice(0, 120)}` }
  }
}

/** GET that throws unless it gets a 200 JSON answer (for observations, not for the write history). */
export async function getJson (target: Target, route: string, timeoutMs: number): Promise<unknown> {
  const out = await call(target, 'GET', route, undefined, timeoutMs)
  if (out.kind !== 'ok') throw new Error(`GET ${target.http}${route}: ${out.error}`)
  return out.body
}

function causeCode (err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause
  if (typeof cause?.code === 'string') return cause.code
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) return 'timeout'
  return undefined
}
