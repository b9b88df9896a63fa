// @ts-check
/** Talking to this page's own peer: JSON requests with a timeout, and the live event stream. */

/** Requests give up after this long (the server answers once a write is durable: milliseconds). */
const REQUEST_TIMEOUT_MS = 10_000
/** Re-open a stream the server refused (EventSource gives up on a non-200 answer). */
const REOPEN_MS = 3_000

/**
 * The `--http-token`, if the URL carries `#token=…`. Kept in sessionStorage for this tab, and removed
 * from the address bar so it does not end up in screenshots or shared links. (A fragment is never sent
 * to the server, unlike a query string.)
 * @returns {string | undefined}
 */
function takeToken () {
  const m = /(?:^#|&)token=([^&]+)/.exec(location.hash)
  if (m !== null && m[1] !== undefined) {
    sessionStorage.setItem('murmur-token', decodeURIComponent(m[1]))
    history.replaceState(null, '', location.pathname + location.search)
  }
  return sessionStorage.getItem('murmur-token') ?? undefined
}

/**
 * @typedef {{ post(path: string, body: unknown): Promise<unknown>, connect(handlers: StreamHandlers): void }} Api
 * @typedef {{ onOpen(): void, onDown(): void, on: Record<string, (data: unknown) => void> }} StreamHandlers
 */

/** @returns {Api} */
export function createApi () {
  const token = takeToken()
  /** @type {Record<string, string>} */
  const auth = token === undefined ? {} : { authorization: `Bearer ${token}` }

  /** @param {string} path @param {unknown} body */
  async function post (path, body) {
    const res = await fetch(path, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    })
    /** @type {unknown} */
    const data = await res.json().catch(() => undefined)
    if (!res.ok) {
      const error = typeof data === 'object' && data !== null && 'error' in data ? data.error : undefined
      throw new Error(typeof error === 'string' ? error : `HTTP ${res.status}`)
    }
    return data
  }

  /** @param {StreamHandlers} handlers */
  function connect (handlers) {
    const url = token === undefined ? '/api/events' : `/api/events?access_token=${encodeURIComponent(token)}`
    const source = new EventSource(url)
    source.onopen = () => { handlers.onOpen() }
    source.onerror = () => {
      handlers.onDown()
      // CONNECTING: the browser retries by itself; CLOSED: it gave up (e.g. a 503), so we retry later.
      if (source.readyState === EventSource.CLOSED) setTimeout(() => { connect(handlers) }, REOPEN_MS)
    }
    for (const [event, handle] of Object.entries(handlers.on)) {
      source.addEventListener(event, (e) => { handle(JSON.parse(/** @type {MessageEvent} */ (e).data)) })
    }
  }

  return { post, connect }
}
