/**
 * Operator routes behind `murmur join`, `murmur leave` and `murmur tags`: the runtime changes a running
 * agent accepts (Serf's `join`, `leave` and `tags` RPCs). Token-protected like every route but /health.
 *
 *   POST /join  {"addrs": ["<multiaddr>", ...]}      → {"contacted": n, "self": k, "failed": [{"addr", "reason"}]} (DNS names: every address; k: this peer's own, skipped)
 *   POST /leave                                      → {"left": true}     then the agent shuts down
 *   POST /tags  {"set": {"k": "v"}, "delete": ["k"]} → {"tags": {...}}    gossiped at once
 */
import type { ServerResponse } from 'node:http'
import type { Peer } from '../api.js'
import { SWIM_LIMITS } from '../membership/codec.js'
import { parseMultiaddr, tcpAddrProblem } from '../net/addresses.js'
import { tagCountProblem } from '../peer-options.js'
import { isRecord, readJson } from './body.js'
import { HttpError } from './errors.js'
import type { Route } from './route.js'
import { hasLoneSurrogate } from '../core/codec.js'
import { memberTextProblem, sameTags } from '../core/member-text.js'

/** Addresses per join request (as many as a member record carries). */
export const MAX_JOIN_ADDRS = SWIM_LIMITS.addrs

type Json = (res: ServerResponse, status: number, body: unknown) => void

function joinAddrs (body: unknown): string[] {
  const addrs = isRecord(body) ? body.addrs : undefined
  if (!Array.isArray(addrs) || addrs.length === 0 || addrs.length > MAX_JOIN_ADDRS) {
    throw new HttpError(400, 'invalid_body', `expected {"addrs": ["<multiaddr>", ...]} with 1–${MAX_JOIN_ADDRS} addresses`)
  }
  return addrs.map((a: unknown) => {
    if (typeof a !== 'string' || a.length > SWIM_LIMITS.addrChars) throw new HttpError(400, 'invalid_body', `each address must be a multiaddr of at most ${SWIM_LIMITS.addrChars} characters`)
    const shown = JSON.stringify(a.slice(0, 80))
    const ma = parseMultiaddr(a)
    if (ma === undefined) throw new HttpError(400, 'invalid_body', `${shown} is not a TCP multiaddr, e.g. /ip4/10.0.0.5/tcp/4001`)
    // The check --bootstrap makes: an address no transport here can dial (/ws, /tls, port 0) is refused.
    const problem = tcpAddrProblem(ma, 'dial', text => JSON.stringify(text.slice(0, 80)))
    if (problem !== undefined) throw new HttpError(400, 'invalid_body', `${shown}: ${problem}`)
    return a
  })
}

function tagText (value: unknown, max: number, what: string): string {
  if (typeof value !== 'string' || value.length > max || hasLoneSurrogate(value) || (what === 'key' && value.length === 0)) {
    throw new HttpError(400, 'invalid_body', `tag ${what}s are strings of ${what === 'key' ? 1 : 0}–${max} characters`)
  }
  return value
}

/** A tag key or value to set: tagText's rule, and no control character (as for the agent's --tag). */
function newTagText (value: unknown, max: number, what: string): string {
  const text = tagText(value, max, what)
  const problem = memberTextProblem(text)
  if (problem !== undefined) throw new HttpError(400, 'invalid_body', `tag ${what} ${JSON.stringify(text.slice(0, 80))} ${problem}`)
  return text
}

/** The tags after applying `{"set": {...}, "delete": [...]}` to `current`. */
export function updatedTags (current: Readonly<Record<string, string>>, body: unknown): Record<string, string> {
  const set = isRecord(body) ? body.set ?? {} : undefined
  const del = isRecord(body) ? body.delete ?? [] : undefined
  if (!isRecord(set) || !Array.isArray(del) || (Object.keys(set).length === 0 && del.length === 0)) {
    throw new HttpError(400, 'invalid_body', 'expected {"set": {"key": "value", ...}, "delete": ["key", ...]} with at least one of them')
  }
  const next: Record<string, string> = { ...current }
  for (const k of del) delete next[tagText(k, SWIM_LIMITS.tagKeyChars, 'key')]
  // A key deleted may hold anything (set before this rule, or by an older agent); one set may not.
  for (const [k, v] of Object.entries(set)) next[newTagText(k, SWIM_LIMITS.tagKeyChars, 'key')] = newTagText(v, SWIM_LIMITS.tagValueChars, 'value')
  const tooMany = tagCountProblem(next)
  if (tooMany !== undefined) throw new HttpError(400, 'invalid_body', tooMany)
  return next
}

export function agentRoutes (peer: Peer, json: Json, onLeave: (() => void) | undefined): Route[] {
  // One leave for the requests that overlap: a second `murmur leave` while the first is under way (an
  // operator's retry) waits for it, rather than hand every doc off and announce the leave again. One after
  // it ended leaves anew (a library's peer may have joined again since).
  let leaving: Promise<void> | undefined
  const leave = (): Promise<void> => {
    leaving ??= peer.leave().finally(() => { leaving = undefined })
    return leaving
  }
  return [
    {
      method: 'POST', pattern: /^\/join$/, name: 'join',
      run: async (req, res) => {
        const addrs = joinAddrs(await readJson(req))
        json(res, 200, await peer.join(addrs))
      }
    },
    {
      method: 'POST', pattern: /^\/leave$/, name: 'leave',
      run: async (req, res) => {
        await readJson(req, { allowEmpty: true })
        await leave()
        // Once the answer is out, the agent process stops (a library mount decides for itself).
        res.once('finish', () => { onLeave?.() })
        json(res, 200, { left: true })
      }
    },
    {
      method: 'POST', pattern: /^\/tags$/, name: 'tags',
      run: async (req, res) => {
        // The tags as they are once the body is in: read before it, a change answered meanwhile (a second
        // `murmur tags set`, whose body arrived first) was undone by this one, both answered 200.
        const body = await readJson(req)
        const current = peer.self().tags
        const tags = updatedTags(current, body)
        // A change that changes nothing (`murmur tags del` of a key not set, a value set again) is not one:
        // setTags moved the incarnation and gossiped it to every member each time.
        if (!sameTags(tags, current)) peer.setTags(tags)
        json(res, 200, { tags: peer.self().tags })
      }
    }
  ]
}
