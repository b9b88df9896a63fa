/** The murmur HTTP routes the replication benchmark uses (docs and kv), each request bounded in time. */
import type { VersionJson } from './doc-events.ts'
import type { MurmurMember } from './murmur-mesh.ts'

const REQUEST_TIMEOUT_MS = 15_000

/** What a request needs of a peer: its API's base URL and headers (a bearer token, if any). */
export type ApiTarget = Pick<MurmurMember, 'http' | 'headers'>

export interface PutResult {
  status: number
  /** The doc's version once the write is durable (200 only). */
  version: VersionJson | undefined
  /** performance.now() when the request was sent and when its answer arrived. */
  sentAt: number
  ackAt: number
}

export interface DocState {
  digest: string
  version: VersionJson
  content: Record<string, unknown>
}

const route = (doc: string, key?: string): string => `/docs/${encodeURIComponent(doc)}${key === undefined ? '' : `/kv/${encodeURIComponent(key)}`}`

async function request (m: ApiTarget, method: string, path: string, body?: unknown): Promise<{ status: number, json: unknown }> {
  const res = await fetch(`${m.http}${path}`, {
    method,
    headers: { ...m.headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
  })
  const text = await res.text()
  let json: unknown
  try { json = JSON.parse(text) } catch { json = text }
  return { status: res.status, json }
}

export async function putKv (m: ApiTarget, doc: string, key: string, value: unknown): Promise<PutResult> {
  const sentAt = performance.now()
  const { status, json } = await request(m, 'PUT', route(doc, key), value)
  const ackAt = performance.now()
  const version = status === 200 && typeof json === 'object' && json !== null ? (json as { version?: VersionJson }).version : undefined
  return { status, version, sentAt, ackAt }
}

/** GET /docs/:name — also opens the doc on that peer (it then replicates it). */
export async function getDoc (m: MurmurMember, doc: string): Promise<DocState> {
  const { status, json } = await request(m, 'GET', route(doc))
  if (status !== 200 || typeof json !== 'object' || json === null) throw new Error(`${m.name} GET ${route(doc)}: HTTP ${status}`)
  const d = json as { digest?: string, version?: VersionJson, content?: Record<string, unknown> }
  return { digest: d.digest ?? '', version: d.version ?? {}, content: d.content ?? {} }
}

/** GET /kv/:key — whether the key is there yet. */
export async function hasKey (m: MurmurMember, doc: string, key: string): Promise<boolean> {
  return (await request(m, 'GET', route(doc, key))).status === 200
}

/** GET /docs — name → digest of every open doc. */
export async function digests (m: MurmurMember): Promise<Map<string, string>> {
  const { status, json } = await request(m, 'GET', '/docs')
  if (status !== 200 || !Array.isArray(json)) throw new Error(`${m.name} GET /docs: HTTP ${status}`)
  const out = new Map<string, string>()
  for (const d of json as Array<{ name?: unknown, digest?: unknown }>) if (typeof d.name === 'string' && typeof d.digest === 'string') out.set(d.name, d.digest)
  return out
}

/** Runs `fn` over `items` with at most `limit` in flight (bounded load on the peers' HTTP servers). */
export async function inBatches<T, R> (items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i] as T)
    }
  }))
  return out
}
