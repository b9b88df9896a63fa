/**
 * A minimal Server-Sent Events client over fetch, for timing events as they arrive: each event is stamped
 * with `performance.now()` the moment its final blank line is parsed, so one clock times every peer.
 */

export interface SseEvent {
  event: string
  data: string
  /** performance.now() when the event was complete. */
  at: number
}

export interface SseStream {
  /** Resolves once the response headers arrived (the server registered us as a client). */
  readonly ready: Promise<void>
  close(): void
}

/** Largest event we buffer (a member list of a few hundred peers fits easily); beyond it the stream is dropped. */
const MAX_EVENT_CHARS = 1 << 20
const CONNECT_TIMEOUT_MS = 10_000

export function openSse (url: string, headers: Record<string, string>, onEvent: (e: SseEvent) => void, onEnd: (err?: unknown) => void = () => {}): SseStream {
  const controller = new AbortController()
  let closed = false
  const ready = (async () => {
    // fetch's signal also ends the body later, so the connect timeout is a timer cleared at the headers.
    const timer = setTimeout(() => { controller.abort(new Error(`SSE ${url}: no response within ${CONNECT_TIMEOUT_MS} ms`)) }, CONNECT_TIMEOUT_MS)
    try {
      const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal })
      if (res.status !== 200 || res.body === null) throw new Error(`SSE ${url}: HTTP ${res.status}`)
      return res.body
    } catch (err) {
      // fetch's "fetch failed" hides the reason (refused, unreachable, reset) in `cause`.
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : ''
      throw new Error(`SSE ${url}: ${err instanceof Error ? err.message : String(err)}${cause}`)
    } finally {
      clearTimeout(timer)
    }
  })()
  void ready.then(async (body) => {
    const reader = body.getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    let event = 'message'
    let data: string[] = []
    controller.signal.addEventListener('abort', () => { void reader.cancel().catch(() => {}) })
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      buffer += decoder.decode(value, { stream: true })
      if (buffer.length > MAX_EVENT_CHARS) throw new Error(`SSE ${url}: event larger than ${MAX_EVENT_CHARS} characters`)
      let nl: number
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '')
        buffer = buffer.slice(nl + 1)
        if (line === '') {
          if (data.length > 0) onEvent({ event, data: data.join('\n'), at: performance.now() })
          event = 'message'
          data = []
        } else if (line.startsWith('event:')) {
          event = line.slice(6).trim()
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).replace(/^ /, ''))
        } // comments (": heartbeat") and retry: lines are ignored
      }
    }
    if (!closed) onEnd()
  }).catch((err: unknown) => { if (!closed) onEnd(err) })
  return {
    ready: ready.then(() => {}),
    close: () => {
      closed = true
      controller.abort()
    }
  }
}
