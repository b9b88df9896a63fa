/**
 * The /mesh page: polls `/mesh/state` every second and draws two grids — members × observers (every member
 * as each peer sees it) and docs × peers (each digest in its own colour, so a converged row is one colour)
 * — and, when the peer runs with --allow-fault-injection, cuts and heals links on a click.
 * Bundled at build time (scripts/build-bundles.ts) into dist/web/mesh/mesh.js.
 */
import type { MeshPeerState, MeshState } from '../../src/http/mesh-state.js'

const POLL_MS = 1000
const REQUEST_TIMEOUT_MS = 5000

function byId<T extends HTMLElement> (id: string): T {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`#${id} missing`)
  return el as T
}

function el<K extends keyof HTMLElementTagNameMap> (tag: K, props: Partial<Record<string, string>> = {}, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue
    if (k.startsWith('data-') || k === 'title' || k === 'class' || k === 'scope' || k === 'type' || k === 'aria-label') e.setAttribute(k, v)
  }
  if (text !== undefined) e.textContent = text
  return e
}

/**
 * The token as typed: the browser percent-encodes a few characters of a fragment (`"`, `<`, `>`, `` ` ``),
 * so decode, but a `%` that starts no escape is the token's own (decodeURIComponent would throw).
 */
function tokenFrom (raw: string): string {
  try {
    return decodeURIComponent(raw)
  } catch {
    return raw
  }
}

/** The `--http-token`, from `#token=` (kept for this tab, removed from the address bar), as the app does. */
function takeToken (): string | undefined {
  // Everything after `token=`: a token may hold any character but whitespace, `&` and `%` included.
  const m = /(?:^#|&)token=(.+)$/.exec(location.hash)
  if (m?.[1] !== undefined) {
    sessionStorage.setItem('murmur-token', tokenFrom(m[1]))
    history.replaceState(null, '', location.pathname + location.search)
  }
  return sessionStorage.getItem('murmur-token') ?? undefined
}

const token = takeToken()
const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` }
// `#token=…` typed after the page loaded changes only the fragment (no reload): load again to use it.
addEventListener('hashchange', () => { if (/(?:^#|&)token=/.test(location.hash)) location.reload() })

/** The peer answered, with an error status (a 401: no token, or a wrong one). */
class HttpStatusError extends Error {
  constructor (readonly status: number) {
    super(`HTTP ${status}`)
  }
}

async function request<T> (method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
  })
  const data = await res.json().catch(() => undefined) as T
  if (!res.ok && res.status !== 502) throw new HttpStatusError(res.status)
  return data
}

/** A stable colour per digest (hue from its first bytes): equal digests, equal colours. */
function digestColor (digest: string): string {
  const hue = parseInt(digest.slice(0, 6), 16) % 360
  return `hsl(${hue} 70% 78%)`
}

const short = (id: string): string => id.length > 10 ? `…${id.slice(-6)}` : id
const STATE_MARK: Record<string, string> = { alive: '● alive', suspect: '◐ suspect', dead: '✕ dead', left: '↩ left', absent: '—' }

let last: MeshState | undefined
let busy = false

function sourceText (p: MeshPeerState, now: number): string {
  const age = p.at === 0 ? 'never seen' : `${Math.max(0, Math.round((now - p.at) / 1000))} s ago`
  switch (p.source) {
    case 'self': return 'this peer'
    case 'mesh': return 'via the mesh'
    case 'http': return 'via HTTP (mesh cut)'
    case 'unreachable': return `unreachable · ${age}`
  }
}

function blocks (p: MeshPeerState | undefined, id: string): boolean {
  return p?.blocked?.includes(id) === true
}

function renderMembers (s: MeshState): void {
  const table = byId<HTMLTableElement>('members')
  const byId2 = new Map(s.peers.map(p => [p.peerId, p]))
  const subjects = new Map<string, string>()
  for (const p of s.peers) subjects.set(p.peerId, p.name)
  for (const p of s.peers) for (const m of p.members) if (!subjects.has(m.peerId)) subjects.set(m.peerId, m.name)
  const columns = [...subjects.entries()]
  const head = el('tr')
  head.append(el('th', { scope: 'col' }, 'observer ↓ / member →'))
  for (const [id, name] of columns) head.append(el('th', { scope: 'col', title: id }, name === '' ? short(id) : name))
  const rows: HTMLTableRowElement[] = [head]
  for (const observer of s.peers) {
    const tr = el('tr', { 'data-observer': observer.peerId })
    const th = el('th', { scope: 'row', title: observer.peerId, 'data-source': observer.source }, observer.name === '' ? short(observer.peerId) : observer.name)
    th.append(el('span', { class: 'src' }, sourceText(observer, s.now)))
    tr.append(th)
    for (const [subject] of columns) {
      const seen = observer.members.find(m => m.peerId === subject)
      const state = subject === observer.peerId ? 'self' : seen?.state ?? 'absent'
      const cut = subject !== observer.peerId && (blocks(observer, subject) || blocks(byId2.get(subject), observer.peerId))
      const td = el('td', {
        'data-observer': observer.peerId,
        'data-subject': subject,
        'data-state': state,
        'data-stale': String(observer.source === 'unreachable'),
        'data-cut': String(cut),
        title: seen === undefined ? '' : `incarnation ${seen.incarnation}`
      })
      const label = state === 'self' ? 'self' : STATE_MARK[state] ?? state
      if (s.faultInjection && state !== 'self') {
        const button = el('button', { type: 'button', 'aria-label': `${cut ? 'heal' : 'cut'} the link ${observer.name} ↔ ${subjects.get(subject) ?? subject}` }, label)
        if (cut) button.append(el('span', { class: 'cut' }, ' ✂'))
        button.addEventListener('click', () => { void link(cut ? 'heal' : 'cut', observer.peerId, subject) })
        td.append(button)
      } else {
        td.textContent = label + (cut ? ' ✂' : '')
      }
      tr.append(td)
    }
    rows.push(tr)
  }
  table.replaceChildren(...rows)
}

function renderDocs (s: MeshState): number {
  const table = byId<HTMLTableElement>('docs')
  const names = [...new Set(s.peers.flatMap(p => p.docs.map(d => d.name)))].sort()
  const head = el('tr')
  head.append(el('th', { scope: 'col' }, 'document ↓ / peer →'))
  for (const p of s.peers) head.append(el('th', { scope: 'col', title: p.peerId }, p.name === '' ? short(p.peerId) : p.name))
  const rows: HTMLTableRowElement[] = [head]
  let converged = 0
  for (const name of names) {
    const digests = s.peers.map(p => p.docs.find(d => d.name === name)?.digest)
    const distinct = new Set(digests.filter((d): d is string => d !== undefined))
    if (distinct.size === 1) converged++
    const tr = el('tr', { 'data-doc': name, 'data-converged': String(distinct.size === 1), 'data-digests': String(distinct.size) })
    tr.append(el('th', { scope: 'row' }, name))
    s.peers.forEach((p, i) => {
      const d = digests[i]
      const td = el('td', { class: 'digest', 'data-held': String(d !== undefined), 'data-peer': p.peerId, title: d ?? 'not held by this peer' }, d === undefined ? '—' : d.slice(0, 8))
      if (d !== undefined) td.style.backgroundColor = digestColor(d)
      tr.append(td)
    })
    rows.push(tr)
  }
  table.replaceChildren(...rows)
  return names.length - converged
}

/** Members on which every reachable peer agrees (all see all alive) or not. */
function disagreements (s: MeshState): number {
  const live = s.peers.filter(p => p.source !== 'unreachable')
  let n = 0
  for (const o of live) for (const subject of s.peers) if (o.peerId !== subject.peerId && o.members.find(m => m.peerId === subject.peerId)?.state !== 'alive') n++
  return n + (s.peers.length - live.length)
}

function render (s: MeshState): void {
  last = s
  byId('self-name').textContent = s.peers.find(p => p.peerId === s.self)?.name ?? short(s.self)
  byId('fault').hidden = !s.faultInjection
  renderMembers(s)
  const diverged = renderDocs(s)
  const split = disagreements(s)
  const summary = byId('summary')
  summary.dataset.state = split === 0 && diverged === 0 ? 'ok' : 'split'
  summary.dataset.diverged = String(diverged)
  summary.dataset.disagreements = String(split)
  summary.textContent = `${s.peers.length} peers · ${split === 0 ? 'every peer sees every peer alive' : `${split} views not "alive"`} · ` +
    `${diverged === 0 ? 'every document converged' : `${diverged} document(s) differ between peers`}`
}

async function link (op: 'cut' | 'heal' | 'heal-all', a?: string, b?: string): Promise<void> {
  const status = byId('fault-status')
  status.dataset.state = 'busy'
  status.textContent = op === 'heal-all' ? 'healing every link…' : `${op === 'cut' ? 'cutting' : 'healing'} ${short(a ?? '')} ↔ ${short(b ?? '')}…`
  try {
    const r = await request<{ results: Array<{ peerId: string, ok: boolean, error?: string }> }>('POST', '/mesh/links', { op, a, b })
    const failed = r.results.filter(x => !x.ok)
    status.dataset.state = failed.length === 0 ? 'ok' : 'error'
    status.textContent = failed.length === 0 ? `${op} done` : failed.map(f => `${short(f.peerId)}: ${f.error ?? 'failed'}`).join('; ')
  } catch (err) {
    status.dataset.state = 'error'
    status.textContent = `${op} failed: ${err instanceof Error ? err.message : String(err)}`
  }
  void poll()
}

async function poll (): Promise<void> {
  if (busy) return
  busy = true
  const updated = byId('updated')
  try {
    render(await request<MeshState>('GET', '/mesh/state'))
    updated.dataset.state = 'live'
    updated.textContent = `live · ${new Date().toLocaleTimeString()}`
  } catch (err) {
    if (err instanceof HttpStatusError && err.status === 401) {
      // It answers, but wants its token: waiting will not help, saying how to give it will.
      const here = `${location.origin}${location.pathname}`
      updated.dataset.state = 'denied'
      updated.textContent = token === undefined
        ? `this peer needs its access token: open ${here}#token=<your token> (the peer's --http-token-file or MURMUR_HTTP_TOKEN)`
        : `this peer refused the access token this tab was given: open ${here}#token=<the right token>`
    } else {
      updated.dataset.state = 'offline'
      updated.textContent = `this peer does not answer (${err instanceof Error ? err.message : String(err)})`
    }
  } finally {
    busy = false
  }
}

byId('heal-all').addEventListener('click', () => { void link('heal-all') })
void poll()
setInterval(() => { void poll() }, POLL_MS)
Object.assign(window, { murmurMesh: { state: () => last } })
