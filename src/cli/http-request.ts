/**
 * One HTTP(S) request to an agent over node:http, answered as a web `Response`. Not `fetch`: the Fetch
 * standard refuses "bad ports" (6000, 6665–6669, 5060, 10080 and some 70 others, all below 10,100), so
 * `murmur members` could not reach an agent whose `--http-addr` was 127.0.0.1:6666 ("bad port"), although
 * the agent served it. HTTPS verifies as node:https does (NODE_EXTRA_CA_CERTS for a private CA).
 *
 * Network errors reject with a TypeError whose `cause` is the socket error (as `fetch` does); an abort
 * rejects with the signal's reason.
 */
import { Readable } from 'node:stream'
import { nodeHttp, nodeHttps } from '../http/node-builtins.js'

export interface RequestInit {
  method?: string
  headers?: Readonly<Record<string, string>>
  body?: string
  signal?: AbortSignal
}

/** Statuses whose response has no body (the Response constructor refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304])

/**
 * `url`'s path and query exactly as given. The URL class resolves dot segments (`/docs/../kv/k` becomes
 * `/kv/k`, and `%2E%2E` counts as `..`), which would send a request for a doc named `..` somewhere else.
 */
function rawPath (url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2)
  return start === -1 ? '/' : url.slice(start)
}

export async function httpRequest (url: string, init: RequestInit = {}): Promise<Response> {
  const target = new URL(url)
  const { signal } = init
  signal?.throwIfAborted()
  return await new Promise<Response>((resolve, reject) => {
    const send = target.protocol === 'https:' ? nodeHttps().request : nodeHttp.request
    const req = send(target, { path: rawPath(url), method: init.method ?? 'GET', headers: { ...init.headers }, ...(signal === undefined ? {} : { signal }) }, (res) => {
      try {
        const headers = new Headers()
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string)
        const status = res.statusCode ?? 0
        const empty = NULL_BODY.has(status) || init.method === 'HEAD'
        if (empty) res.resume()
        // Readable.toWeb's stream type is node's own ReadableStream: the same object as the global one.
        const body = empty ? null : Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>
        resolve(new Response(body, { status, statusText: res.statusMessage ?? '', headers }))
      } catch (err) {
        // A status outside 200–599 or a header the Headers class refuses: not an HTTP answer we can read.
        res.destroy()
        const why = err instanceof Error ? err.message : String(err)
        reject(new TypeError('request failed', { cause: new Error(`an HTTP answer this client cannot read (status ${res.statusCode ?? '?'}: ${why})`) }))
      }
    })
    req.on('error', (err) => { reject(signal?.aborted === true ? signal.reason : new TypeError('request failed', { cause: err })) })
    req.end(init.body)
  })
}
