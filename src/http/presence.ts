/**
 * `GET /docs/:name/presence`: the awareness states of every client of the doc, on any peer —
 * `[{"clientId","clock","state","peerId","local","ageMs"}]`.
 *
 * Only peers with clients on a doc receive its states (doc-presence.ts). A peer asked without having any
 * joins as a watcher: it says hello to every live peer, waits briefly for their answers (at most
 * FIRST_WAIT_MS, less once they stop arriving), and keeps watching for WATCH_GRACE_MS after the last
 * request, so polling the route is cheap and current.
 */
import type { ServerResponse } from 'node:http'
import type { Peer } from '../api.js'
import { assertDocName } from '../replication/index.js'
import type { Route } from './route.js'

/** How long a request keeps this peer watching a doc after the last one. */
export const WATCH_GRACE_MS = 30_000
/** A first request waits at most this long for the other peers' states. */
const FIRST_WAIT_MS = 400
/** ...and answers once no new state arrived for this long. */
const QUIET_MS = 60
/** Docs watched at once; past it a request answers with what this peer holds (nothing new is watched). */
const MAX_WATCHED = 64

export interface PresenceRouteDeps {
  param: (raw: string, what: string) => string
  json: (res: ServerResponse, status: number, body: unknown) => void
}

export interface PresenceRoutes {
  routes: Route[]
  /** Stops watching (the API is closing). */
  close(): void
}

export function presenceRoutes (peer: Peer, deps: PresenceRouteDeps): PresenceRoutes {
  /** `answered`: the first request's wait for the peers' states, which requests arriving meanwhile share. */
  const watched = new Map<string, { release: () => void, timer: NodeJS.Timeout, answered: Promise<void> }>()

  const keepWatching = (doc: string, release: () => void, answered: Promise<void>): void => {
    const timer = setTimeout(() => {
      watched.delete(doc)
      release()
    }, WATCH_GRACE_MS)
    timer.unref()
    watched.set(doc, { release, timer, answered })
  }

  /**
   * Makes sure this peer receives `doc`'s states; the first time, waits for the peers' answers. Requests that
   * arrive during that wait wait with it: they answered at once, with none of the other peers' states (a
   * page polling twice at once showed nobody, then everybody).
   */
  const watch = async (doc: string): Promise<void> => {
    const current = watched.get(doc)
    if (current !== undefined) {
      current.timer.refresh()
      await current.answered
      return
    }
    if (watched.size >= MAX_WATCHED) return
    const joinedBefore = peer.presence.isJoined(doc)
    const release = peer.presence.join(doc)
    // States already flow here when the doc has local clients.
    const answered = joinedBefore ? Promise.resolve() : firstAnswers(doc)
    keepWatching(doc, release, answered)
    await answered
  }

  /** Resolves once the peers' answers to this peer's hello have stopped arriving, or after FIRST_WAIT_MS. */
  const firstAnswers = async (doc: string): Promise<void> => {
    await new Promise<void>((resolve) => {
      let quiet: NodeJS.Timeout | undefined
      const done = (): void => {
        clearTimeout(deadline)
        if (quiet !== undefined) clearTimeout(quiet)
        off()
        resolve()
      }
      const deadline = setTimeout(done, FIRST_WAIT_MS)
      const off = peer.presence.onChange((e) => {
        if (e.doc !== doc) return
        if (quiet !== undefined) clearTimeout(quiet)
        quiet = setTimeout(done, QUIET_MS)
      })
    })
  }

  const routes: Route[] = [{
    method: 'GET',
    pattern: /^\/docs\/([^/]+)\/presence$/,
    name: 'presence',
    run: async (_req, res, [raw = '']) => {
      const name = deps.param(raw, 'doc name')
      assertDocName(name)
      await watch(name)
      deps.json(res, 200, peer.presence.states(name).map(s => ({
        clientId: s.clientId,
        clock: s.clock,
        state: JSON.parse(s.state) as unknown,
        peerId: s.peer,
        local: s.peer === peer.id,
        ageMs: s.ageMs
      })))
    }
  }]
  return {
    routes,
    close: () => {
      for (const w of watched.values()) {
        clearTimeout(w.timer)
        w.release()
      }
      watched.clear()
    }
  }
}
