/**
 * The shared notes pad: Yjs in the browser, synced with this page's peer through the y-websocket protocol
 * (`ws://<this host>/yjs/<doc>`) — an unmodified y-websocket provider — and edited with CodeMirror 6 bound
 * by y-codemirror.next (remote cursors and names come from Yjs awareness, shared across the whole mesh).
 * Edits are also kept in this browser (y-indexeddb): made while the peer is down, they survive a reload
 * and are merged when the peer is back. Bundled at build time (scripts/build-bundles.ts) into public/notes.js.
 */
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands'
import { EditorState } from '@codemirror/state'
import { EditorView, drawSelection, highlightActiveLine, keymap, lineNumbers, placeholder } from '@codemirror/view'
import { yCollab } from 'y-codemirror.next'
import { IndexeddbPersistence } from 'y-indexeddb'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

/** The notes live in their own document, beside the counter and chat's. */
export const NOTES_DOC = 'chat-counter-notes'
const NAME_KEY = 'murmur-chat-name'
const COLORS = ['#2f7d5b', '#3867d6', '#c2410c', '#9333ea', '#0e7490', '#be185d', '#a16207', '#4d7c0f']

interface User { name: string, color: string, colorLight: string, peer?: string }

function byId<T extends HTMLElement> (id: string): T {
  const el = document.getElementById(id)
  if (el === null) throw new Error(`#${id} missing`)
  return el as T
}

const ydoc = new Y.Doc()
const ytext = ydoc.getText('notes')
const token = sessionStorage.getItem('murmur-token') ?? undefined
const wsBase = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/yjs`
const provider = new WebsocketProvider(wsBase, NOTES_DOC, ydoc, {
  ...(token === undefined ? {} : { params: { access_token: token } }),
  maxBackoffTime: 2000
})
// One IndexedDB database per peer origin: edits made offline wait here for the peer.
const local = new IndexeddbPersistence(`murmur-notes:${NOTES_DOC}`, ydoc)

const color = COLORS[ydoc.clientID % COLORS.length] ?? '#2f7d5b'
const nameInput = document.getElementById('chat-from') as HTMLInputElement | null
const currentName = (): string => {
  const typed = nameInput?.value.trim() ?? ''
  const saved = localStorage.getItem(NAME_KEY) ?? ''
  return typed !== '' ? typed : saved !== '' ? saved : `Guest ${ydoc.clientID % 1000}`
}
const setUser = (): void => {
  const user: User = { name: currentName(), color, colorLight: `${color}33` }
  provider.awareness.setLocalStateField('user', user)
}
setUser()
nameInput?.addEventListener('input', setUser)
nameInput?.addEventListener('change', setUser)

/** Bidirectional control characters (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069). */
const BIDI_CONTROL = /\p{Bidi_Control}/gu

/**
 * A name from awareness as shown: any client of any peer sets it, unchecked. Without bidirectional controls,
 * as the chat shows names (render.js: "eve", RLO, "gnp.exe" read "eveexe.png"); nothing for one that is no
 * string (an object whose conversion to text threw ended the list there, every name after it missing).
 */
const shownName = (name: unknown): string => typeof name === 'string' ? name.replace(BIDI_CONTROL, '') : ''

const CSS_COLOR = /^#[0-9a-f]{3,8}$/i

/**
 * Whether y-codemirror.next can read `cursor` as it does (its relative positions resolved against this doc)
 * without throwing. Not whether it resolves now: a cursor may arrive before the text it points into.
 */
function readable (cursor: unknown): boolean {
  if (typeof cursor !== 'object' || cursor === null) return false
  const { anchor, head } = cursor as { anchor?: unknown, head?: unknown }
  try {
    for (const p of [anchor, head]) if (p != null) Y.createAbsolutePositionFromRelativePosition(p as Y.RelativePosition, ydoc)
    return true
  } catch {
    return false
  }
}

/**
 * Other clients' awareness states as the editor's remote cursors read them, made harmless in place. Any
 * client of any peer sets its state as it likes, and y-codemirror.next trusts it: a name whose conversion
 * to text throws (`{"toString": 1}`) broke the editor of every page on the doc — remote edits no longer
 * shown, typing reversed and never sent. A name is shown as text without bidirectional controls, a colour
 * only as a hex colour, a cursor only if it can be read. Registered before the editor, so it runs first.
 */
provider.awareness.on('change', ({ added, updated }: { added: number[], updated: number[] }) => {
  for (const id of [...added, ...updated]) {
    const state = provider.awareness.getStates().get(id) as Record<string, unknown> | undefined
    if (id === ydoc.clientID || state === undefined) continue
    if (state.cursor != null && !readable(state.cursor)) state.cursor = null
    if (state.user === undefined) continue // not someone in the pad (a client without presence)
    const user = typeof state.user === 'object' && state.user !== null ? state.user as Record<string, unknown> : {}
    const color = typeof user.color === 'string' && CSS_COLOR.test(user.color) ? user.color : '#888888'
    state.user = {
      name: shownName(user.name),
      color,
      colorLight: typeof user.colorLight === 'string' && CSS_COLOR.test(user.colorLight) ? user.colorLight : `${color}33`
    }
  }
})

const undoManager = new Y.UndoManager(ytext)
const view = new EditorView({
  parent: byId('notes-editor'),
  state: EditorState.create({
    doc: ytext.toString(),
    extensions: [
      lineNumbers(),
      history(),
      drawSelection(),
      highlightActiveLine(),
      EditorView.lineWrapping,
      placeholder('Shared notes: type here; everyone on every peer sees it live.'),
      keymap.of([...defaultKeymap, ...historyKeymap]),
      EditorView.contentAttributes.of({ 'aria-label': 'Shared notes' }),
      // Remote cursors always show their user's name (y-codemirror.next shows it only on hover); a bit of
      // room above the first line keeps the first line's labels inside the editor.
      EditorView.theme({ '.cm-ySelectionInfo': { opacity: 1, fontFamily: 'system-ui, sans-serif' }, '.cm-content': { paddingTop: '14px' } }),
      yCollab(ytext, provider.awareness, { undoManager })
    ]
  })
})

// ── status: connection, sync, offline edits, who is here ────────────────────────────────────────────

const status = byId('notes-status')
const people = byId('notes-people')
let connection: 'connecting' | 'connected' | 'disconnected' = 'connecting'
let unsyncedOffline = false
/** Set when the peer closed the pad for good (close codes 4400–4499: y-websocket stops reconnecting). */
let refused: { state: 'denied' | 'refused', text: string } | undefined

function renderStatus (): void {
  if (refused !== undefined) {
    status.dataset.state = refused.state
    status.dataset.synced = 'false'
    status.textContent = refused.text
    return
  }
  const synced = provider.synced
  status.dataset.state = connection === 'connected' ? (synced ? 'synced' : 'syncing') : 'offline'
  status.dataset.synced = String(synced && connection === 'connected')
  status.textContent = connection === 'connected'
    ? (synced ? 'synced with this peer' : 'syncing…')
    : unsyncedOffline
      ? 'offline: your edits are kept in this browser and sent when the peer is back'
      : 'offline: reconnecting to this peer…'
}

function renderPeople (): void {
  people.replaceChildren()
  const states = [...provider.awareness.getStates().entries()].sort(([a], [b]) => a - b)
  for (const [clientId, state] of states) {
    const user = (state as { user?: Partial<User> }).user
    if (user?.name === undefined) continue
    const li = document.createElement('li')
    const dot = document.createElement('span')
    dot.className = 'dot'
    dot.style.backgroundColor = typeof user.color === 'string' ? user.color : '#888'
    const name = document.createElement('bdi') // its own direction, isolated from " (you)" after it
    name.textContent = shownName(user.name)
    li.append(dot, name)
    if (clientId === ydoc.clientID) {
      const you = document.createElement('span')
      you.className = 'you'
      you.textContent = ' (you)'
      li.append(you)
    }
    li.dataset.clientId = String(clientId)
    people.append(li)
  }
  byId('notes-count').textContent = `${people.childElementCount}`
}

provider.on('status', ({ status: s }) => {
  connection = s
  if (s === 'connected') unsyncedOffline = false
  renderStatus()
})
provider.on('sync', () => { renderStatus() })
provider.on('closed', ({ code }) => {
  const kept = 'your edits are kept in this browser'
  refused = code === 4401
    ? { state: 'denied', text: `not connected: this peer needs its access token (open the page with #token=<token>); ${kept}` }
    : code === 4413
      ? { state: 'refused', text: `not connected: the notes reached their size limit on this peer; ${kept}` }
      : { state: 'refused', text: `not connected: the peer refused the notes pad (close code ${code}); ${kept}, reload to try again` }
  renderStatus()
})
provider.awareness.on('change', renderPeople)
ydoc.on('update', (_u: Uint8Array, origin: unknown) => {
  if (origin !== provider && connection !== 'connected') {
    unsyncedOffline = true
    renderStatus()
  }
})
void local.whenSynced.then(() => { byId('notes-card').dataset.localLoaded = 'true' })
renderStatus()
renderPeople()

// For tests and the curious: the live objects (the page works without them).
Object.assign(window, { murmurNotes: { ydoc, ytext, provider, view } })
