// @ts-check
/** Talking to this page's own peer: JSON requests with a timeout, and the live event stream. */

/** Requests give up after this long (the server answers once a write is durable: milliseconds). */
const REQUEST_TIMEOUT_MS = 10_000
/**
 * A write whose outcome is unknown (no answer, or a 5xx other than 503/507) is retried with the same
 * idempotency key — the peer applies a key once — after these pauses; then the page says it is unknown.
 */
const RETRY_PAUSES_MS = [500, 1_500, 4_000]

/** The peer refused the write: nothing was applied (4xx, 503, 507). */
export class WriteRefused extends Error {}
/** The write may or may not have been applied, and retries did not settle it. */
export class OutcomeUnknown extends Error {}

/**
 * A fresh idempotency key: one per user action (click, message), the same for every retry of it. Not
 * crypto.randomUUID: that needs a secure context, and the page may be served over plain HTTP on a LAN.
 * @returns {string}
 */
export function newKey () {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('')
}

/** @param {number} ms */
const pause = (ms) => new Promise(resolve => { setTimeout(resolve, ms) })
/** Re-open a stream the server refused (EventSource gives up on a non-200 answer). */
const REOPEN_MS = 3_000

/** Everything after `token=`: a token may hold any character but whitespace, `&` and `%` included. */
const TOKEN_IN_HASH = /(?:^#|&)token=(.+)$/

/**
 * The token as typed: the browser percent-encodes a few characters of a fragment (`"`, `<`, `>`, `` ` ``),
 * so decode, but a `%` that starts no escape is the token's own (decodeURIComponent would throw).
 * @param {string} raw
 */
function tokenFrom (raw) {
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

/**
 * The `--http-token`, if the URL carries `#token=…`. Kept in sessionStorage for this tab, and removed
 * from the address bar so it does not end up in screenshots or shared links. (A fragment is never sent
 * to the server, unlike a query string.)
 * @returns {string | undefined}
 */
function takeToken () {
  const m = TOKEN_IN_HASH.exec(location.hash)
  if (m !== null && m[1] !== undefined) {
    sessionStorage.setItem('murmur-token', tokenFrom(m[1]))
    history.replaceState(null, '', location.pathname + location.search)
  }
  return sessionStorage.getItem('murmur-token') ?? undefined
}

/**
 * @typedef {{ post(path: string, body: unknown, key: string): Promise<unknown>, connect(handlers: StreamHandlers): void }} Api
 * @typedef {{ onOpen(): void, onDown(): void, onDenied(hadToken: boolean): void, onRefused(reason: string): void, on: Record<string, (data: unknown) => void> }} StreamHandlers
 */

/** @returns {Api} */
export function createApi () {
  const token = takeToken()
  // `#token=…` typed after the page loaded changes only the fragment (no reload): load again to use it.
  addEventListener('hashchange', () => { if (TOKEN_IN_HASH.test(location.hash)) location.reload() })
  /** @type {Record<string, string>} */
  const auth = token === undefined ? {} : { authorization: `Bearer ${token}` }

  /**
   * One attempt: the answer's data, or a WriteRefused / OutcomeUnknown error.
   * @param {string} path @param {unknown} body @param {string} key
   */
  async function attempt (path, body, key) {
    /** @type {Response} */
    let res
    try {
      res = await fetch(path, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
      })
    } catch {
      throw new OutcomeUnknown('no answer from this peer')
    }
    /** @type {unknown} */
    const data = await res.json().catch(() => undefined)
    if (res.ok) return data
    const error = typeof data === 'object' && data !== null && 'error' in data ? data.error : undefined
    const text = typeof error === 'string' ? error : `HTTP ${res.status}`
    // 4xx, 503 and 507 say nothing was applied; any other 5xx leaves it open.
    if (res.status < 500 || res.status === 503 || res.status === 507) throw new WriteRefused(text)
    throw new OutcomeUnknown(text)
  }

  /**
   * A write with idempotency key `key`, retried with the same key while its outcome is unknown.
   * @param {string} path @param {unknown} body @param {string} key
   */
  async function post (path, body, key) {
    for (let i = 0; ; i++) {
      try {
        return await attempt(path, body, key)
      } catch (err) {
        const wait = RETRY_PAUSES_MS[i]
        if (!(err instanceof OutcomeUnknown) || wait === undefined) throw err
        await pause(wait)
      }
    }
  }

  /**
   * Why the peer did not open the event stream: EventSource gives up on an answer that is not a stream
   * without saying what it was, so the same request is made once with fetch. `denied`: a 401, which will
   * not change by retrying; `refused`: another answer (a 503 when the peer serves as many streams as it
   * can), with its reason and when to try again; `open`: a stream now (the slot freed meanwhile), closed
   * at once; `down`: no answer.
   * @param {string} url
   * @returns {Promise<{ kind: 'denied' } | { kind: 'refused', reason: string, retryMs: number } | { kind: 'open' | 'down' }>}
   */
  async function whyClosed (url) {
    /** @type {Response} */
    let res
    try {
      res = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
    } catch {
      return { kind: 'down' }
    }
    if (res.ok) {
      await res.body?.cancel().catch(() => {})
      return { kind: 'open' }
    }
    if (res.status === 401) return { kind: 'denied' }
    /** @type {unknown} */
    const data = await res.json().catch(() => undefined)
    const error = typeof data === 'object' && data !== null && 'error' in data && typeof data.error === 'string' ? data.error : undefined
    const retryS = Number(res.headers.get('retry-after'))
    return { kind: 'refused', reason: error ?? `HTTP ${res.status}`, retryMs: retryS > 0 ? Math.min(retryS, 60) * 1000 : REOPEN_MS }
  }

  /** @param {StreamHandlers} handlers */
  function connect (handlers) {
    const url = token === undefined ? '/api/events' : `/api/events?access_token=${encodeURIComponent(token)}`
    const source = new EventSource(url)
    source.onopen = () => { handlers.onOpen() }
    source.onerror = () => {
      // CONNECTING: the browser retries by itself.
      if (source.readyState !== EventSource.CLOSED) {
        handlers.onDown()
        return
      }
      void whyClosed(url).then((why) => {
        if (why.kind === 'denied') {
          handlers.onDenied(token !== undefined)
          return
        }
        if (why.kind === 'refused') handlers.onRefused(why.reason)
        else if (why.kind === 'down') handlers.onDown()
        setTimeout(() => { connect(handlers) }, why.kind === 'open' ? 0 : why.kind === 'refused' ? why.retryMs : REOPEN_MS)
      })
    }
    for (const [event, handle] of Object.entries(handlers.on)) {
      source.addEventListener(event, (e) => { handle(JSON.parse(/** @type {MessageEvent} */ (e).data)) })
    }
  }

  return { post, connect }
}
