// @ts-check
/**
 * DOM rendering of the app state. Text goes in with textContent only: chat messages and member names come
 * from other peers and must never be interpreted as HTML. Names (chat authors, members) are shown without
 * bidirectional controls and each in a <bdi>: an override in a name must neither disguise it ("eve", RLO,
 * "gnp.exe" shown as "eveexe.png") nor reorder the rest of its line. The app API refuses such names, but
 * other peers' names (`--name`) and messages written into the doc by other clients are not checked by it.
 *
 * @typedef {'alive' | 'suspect' | 'dead' | 'left'} MemberState
 * @typedef {{ peerId: string, name: string, state: MemberState, incarnation: number, self: boolean }} MemberRow
 * @typedef {{ name: string, digest: string, version: Record<string, number> }} DocView
 * @typedef {Record<MemberState, number>} Counts
 * @typedef {{ self: { peerId: string, name: string }, counter: number, messages: number, members: MemberRow[], counts: Counts, unreachable: number, blocked: number, doc: DocView }} AppState
 * @typedef {{ id: string, from: string, text: string, at: number }} ChatMessage
 */

/** Messages kept on the page; the full history is in GET /api/chat. */
const MAX_SHOWN = 500
/** Version vector rows shown (one per replica: every peer, and every restart of a peer that wrote). */
const MAX_REPLICAS_SHOWN = 24

/** @param {string} id */
export function byId (id) {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`#${id} is missing from the page`)
  return el
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag @param {string} [className] @param {string} [text]
 * @returns {HTMLElementTagNameMap[K]}
 */
function el (tag, className, text) {
  const node = document.createElement(tag)
  if (className !== undefined) node.className = className
  if (text !== undefined) node.textContent = text
  return node
}

/** Bidirectional control characters (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069). */
const BIDI_CONTROL = /\p{Bidi_Control}/gu

/** A name as shown: without bidirectional controls (a name needs none). @param {string} name */
export const shownName = (name) => name.replace(BIDI_CONTROL, '')

/**
 * A name in its own <bdi>: its direction is its own (right-to-left names show right) and it cannot move
 * the text around it.
 * @param {string} name @param {string} className
 */
function nameEl (name, className) {
  return el('bdi', className, shownName(name))
}

/** @param {string} peerId */
const shortId = (peerId) => `…${peerId.slice(-8)}`
/** @param {number} n @param {string} one @param {string} many */
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`

/** @param {number} value */
export function renderCounter (value) {
  const out = byId('counter-value')
  const text = String(value)
  if (out.textContent === text) return
  out.textContent = text
  out.classList.remove('bump')
  void out.offsetWidth // restart the animation
  out.classList.add('bump')
}

/** @param {AppState} s */
function renderPartition (s) {
  const box = byId('partition')
  const others = s.counts.alive + s.counts.suspect + s.counts.dead - 1 // not counting this peer, nor those that left
  const blocked = s.blocked > 0 ? ` Fault injection is blocking ${plural(s.blocked, 'peer', 'peers')}.` : ''
  let state = 'ok'
  let title = others === 0 ? 'No other peers yet' : others === 1 ? 'Connected to the other peer' : `Connected to all ${others} other peers`
  let detail = others === 0 ? 'Start more peers with --bootstrap pointing at this one.' : 'Changes replicate as they happen.'
  if (s.unreachable > 0) {
    state = 'partitioned'
    title = `Partitioned from ${plural(s.unreachable, 'peer', 'peers')}`
    detail = `${s.counts.suspect} suspect, ${s.counts.dead} dead, as this peer sees them. Writes keep working here and merge when the network heals.${blocked}`
  } else if (s.blocked > 0) {
    state = 'blocked'
    title = `Blocking ${plural(s.blocked, 'peer', 'peers')}`
    detail = 'Failure detection will mark them suspect, then dead.'
  }
  box.dataset.state = state
  byId('partition-title').textContent = title
  byId('partition-detail').textContent = detail
}

/** @param {MemberRow[]} members @param {Counts} counts */
function renderMembers (members, counts) {
  const list = byId('members')
  const total = counts.alive + counts.suspect + counts.dead + counts.left
  const rows = members.map((m) => {
    const li = el('li')
    li.dataset.state = m.state
    li.dataset.peerId = m.peerId
    const badge = el('span', 'state', m.state)
    badge.dataset.state = m.state
    const name = el('span', 'name')
    name.append(nameEl(m.name, 'member-name'))
    if (m.self) name.append(' ', el('span', 'you', '(this peer)'))
    const id = el('code', 'id', shortId(m.peerId))
    id.title = m.peerId
    li.append(badge, name, el('span', 'inc', `inc ${m.incarnation}`), id)
    return li
  })
  if (total > members.length) rows.push(el('li', 'more', `… and ${total - members.length} more`))
  list.replaceChildren(...rows)
  byId('member-count').textContent = `${counts.alive} alive of ${total}`
}

/** @type {Record<string, number>} */
let lastVersion = {}

/** @param {DocView} doc */
function renderDoc (doc) {
  const digest = byId('digest')
  digest.textContent = doc.digest === '' ? '–' : `${doc.digest.slice(0, 16)}…`
  digest.title = doc.digest
  byId('digest-swatch').style.background = /^[0-9a-f]{6}/.test(doc.digest) ? `#${doc.digest.slice(0, 6)}` : ''
  const entries = Object.entries(doc.version).sort(([a], [b]) => Number(a) - Number(b))
  const rows = entries.slice(0, MAX_REPLICAS_SHOWN).map(([replica, clock]) => {
    const tr = el('tr')
    if (lastVersion[replica] !== clock) tr.className = 'changed'
    tr.append(el('td', undefined, replica), el('td', undefined, String(clock)))
    return tr
  })
  if (entries.length > MAX_REPLICAS_SHOWN) {
    const more = el('td', undefined, `… and ${entries.length - MAX_REPLICAS_SHOWN} more replicas`)
    more.colSpan = 2
    const tr = el('tr')
    tr.append(more)
    rows.push(tr)
  }
  byId('version').replaceChildren(...rows)
  lastVersion = doc.version
}

/** @param {AppState} s */
export function renderState (s) {
  byId('self-name').textContent = shownName(s.self.name) // a <bdi> in the page
  const id = byId('self-id')
  id.textContent = shortId(s.self.peerId)
  id.title = s.self.peerId
  document.title = `${s.counter} · ${shownName(s.self.name)} · murmur chat-counter`
  renderCounter(s.counter)
  renderPartition(s)
  renderMembers(s.members, s.counts)
  renderDoc(s.doc)
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' })
const dateFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })

/** Same order as GET /api/chat: by time, then id. @param {ChatMessage} a @param {ChatMessage} b */
const compare = (a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** The chat list: inserts messages in order as they arrive (from any peer, in any order), keeps the last MAX_SHOWN. */
export class ChatView {
  /** @type {{ message: ChatMessage, li: HTMLLIElement }[]} */
  #shown = []
  /** @type {Set<string>} */
  #ids = new Set()
  #list = byId('chat-log')
  #empty = byId('chat-empty')
  /** @type {string} */
  selfId = ''
  /** @type {string} */
  myName = ''

  clear () {
    this.#shown = []
    this.#ids.clear()
    this.#list.replaceChildren()
  }

  /** @param {ChatMessage[]} messages */
  add (messages) {
    const list = this.#list
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 48
    let mine = false
    for (const m of messages) {
      if (this.#ids.has(m.id)) continue
      this.#ids.add(m.id)
      const li = this.#item(m)
      mine ||= li.classList.contains('mine')
      let lo = 0
      let hi = this.#shown.length
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        const shown = this.#shown[mid]
        if (shown !== undefined && compare(shown.message, m) < 0) lo = mid + 1
        else hi = mid
      }
      list.insertBefore(li, this.#shown[lo]?.li ?? null)
      this.#shown.splice(lo, 0, { message: m, li })
    }
    while (this.#shown.length > MAX_SHOWN) {
      const old = this.#shown.shift()
      if (old !== undefined) { old.li.remove(); this.#ids.delete(old.message.id) }
    }
    this.#empty.hidden = this.#shown.length > 0
    if (atBottom || mine) list.scrollTop = list.scrollHeight
  }

  /** @param {ChatMessage} m */
  #item (m) {
    const li = el('li')
    li.dataset.id = m.id
    if (m.from === this.myName) li.classList.add('mine')
    const when = new Date(m.at)
    const time = el('time')
    // Any client may write into the doc, and a safe integer can lie beyond a Date's ±8.64e15 ms: such a time
    // threw here ("Invalid time value"), and no message after it was shown. It is shown without a time.
    if (!Number.isNaN(when.getTime())) {
      time.textContent = (Date.now() - m.at < 20 * 3600_000 ? timeFormat : dateFormat).format(when)
      time.dateTime = when.toISOString()
      time.title = when.toLocaleString()
    }
    const meta = el('div', 'meta')
    meta.append(nameEl(m.from, 'from'), time)
    if (this.selfId !== '' && m.id.startsWith(`${this.selfId.slice(-8)}-`)) meta.append(el('span', 'via', 'via this peer'))
    li.append(meta, el('p', 'text', m.text))
    return li
  }
}
