// @ts-check
/**
 * The chat-counter page: renders the state the server streams (`/api/events`) and sends writes to this
 * page's own peer. Writes never wait for the network — the peer answers once they are durable locally —
 * so the page keeps working through a partition.
 */
import { OutcomeUnknown, createApi, newKey } from './api.js'
import { ChatView, byId, renderCounter, renderState } from './render.js'

/** @typedef {import('./render.js').AppState} AppState @typedef {import('./render.js').ChatMessage} ChatMessage */

const NAME_KEY = 'murmur-chat-name'
const api = createApi()
const chat = new ChatView()
const status = byId('status')
const connection = byId('connection')
const form = /** @type {HTMLFormElement} */ (byId('chat-form'))
const fromInput = /** @type {HTMLInputElement} */ (byId('chat-from'))
const textInput = /** @type {HTMLInputElement} */ (byId('chat-text'))

/** Counts `state` events, so a slow POST answer never overwrites a newer streamed value. */
let stateSeq = 0

/** @param {string} text */
function showError (text) {
  status.textContent = text
}

/** Pause between rounds of sending a write whose outcome is unknown (each round retries itself: api.js). */
const SETTLE_PAUSE_MS = 3_000
/**
 * How long a write is settled for: well within the peers' idempotency window (1 hour), past which its key
 * is forgotten and a resend would apply it again.
 */
const SETTLE_FOR_MS = 30 * 60_000

/**
 * What to tell the user about a write that failed: refused (nothing happened) or unknown (it may have).
 * An unknown one is being sent again with its key (settle): a new click or message would be a new key,
 * a second change, so the text must not invite one.
 * @param {string} what @param {unknown} err
 */
function failure (what, err) {
  const detail = err instanceof Error ? err.message : String(err)
  return err instanceof OutcomeUnknown
    ? `Not confirmed yet: ${what} may or may not have been saved (${detail}). This page keeps sending it with the same key until this peer answers (for up to ${SETTLE_FOR_MS / 60_000} minutes): it takes effect once.`
    : `Not saved: ${what} (${detail}).`
}

/** @type {Set<string>} Keys of the writes being settled: the status line says so until the last one is answered. */
const unsettled = new Set()

/**
 * A write whose outcome stayed unknown, sent again with the same key until the peer answers for sure —
 * the peer applies a key once, so this settles it without counting it twice. `onSaved` gets the answer;
 * a refusal is shown. Kept only while the page is open, and for SETTLE_FOR_MS from `since`.
 * @param {string} path @param {unknown} body @param {string} key @param {string} what @param {(data: unknown) => void} onSaved @param {number} [since]
 */
function settle (path, body, key, what, onSaved, since = Date.now()) {
  setTimeout(async () => {
    if (Date.now() - since > SETTLE_FOR_MS) {
      unsettled.delete(key)
      showError(`Not confirmed: ${what} may or may not have been saved, and this peer did not answer for ${SETTLE_FOR_MS / 60_000} minutes. Check before trying again: a new attempt is a new change.`)
      return
    }
    try {
      onSaved(await api.post(path, body, key))
      unsettled.delete(key)
      if (unsettled.size === 0) showError('')
    } catch (err) {
      if (err instanceof OutcomeUnknown) {
        settle(path, body, key, what, onSaved, since)
        return
      }
      unsettled.delete(key)
      showError(failure(what, err))
    }
  }, SETTLE_PAUSE_MS)
}

/**
 * A write with a fresh key (one per user action); `onSaved` gets the peer's answer, now or once `settle`
 * gets one.
 * @param {string} path @param {unknown} body @param {string} what @param {(data: unknown) => void} onSaved
 * @returns {Promise<boolean>} whether the write is not known to be refused (saved, or being settled)
 */
async function write (path, body, what, onSaved) {
  const key = newKey()
  try {
    onSaved(await api.post(path, body, key))
    if (unsettled.size === 0) showError('')
    return true
  } catch (err) {
    showError(failure(what, err))
    if (!(err instanceof OutcomeUnknown)) return false
    unsettled.add(key)
    settle(path, body, key, what, onSaved)
    return true
  }
}

/** @param {string} state @param {string} text */
function setConnection (state, text) {
  connection.dataset.state = state
  connection.textContent = text
}

/** The status line's text while the peer refuses live updates, cleared once they flow. */
let refusedText = ''

api.connect({
  onOpen: () => {
    setConnection('live', 'live')
    if (refusedText !== '' && status.textContent === refusedText) showError('')
    refusedText = ''
  },
  onDown: () => { setConnection('offline', 'reconnecting to this peer…') },
  // The peer answers but will not stream to this page (it serves as many pages as it can): not an outage.
  onRefused: (reason) => {
    setConnection('refused', 'live updates refused: retrying…')
    refusedText = `This peer refused live updates: ${reason}. This page keeps trying; close another page on this peer, or open the page of another peer. Writes still work.`
    showError(refusedText)
  },
  onDenied: (hadToken) => {
    setConnection('denied', 'access token needed')
    const here = `${location.origin}${location.pathname}`
    const title = hadToken ? 'This peer refused the access token this tab was given' : 'This peer needs its access token'
    const how = `Open the page as ${here}#token=<${hadToken ? 'the right' : 'your'} token> (the peer's --http-token-file or MURMUR_HTTP_TOKEN).`
    // Where the mesh status would be: the first thing on the page, not a line below the fold.
    const box = byId('partition')
    box.dataset.state = 'denied'
    byId('partition-title').textContent = title
    byId('partition-detail').textContent = how
    showError(`${title}. ${how}`)
  },
  on: {
    state: (data) => {
      const s = /** @type {AppState} */ (data)
      stateSeq++
      chat.selfId = s.self.peerId
      renderState(s)
      byId('chat-count').textContent = `${s.messages}`
    },
    chat: (data) => {
      const { reset, messages } = /** @type {{ reset: boolean, messages: ChatMessage[] }} */ (data)
      if (reset) chat.clear()
      chat.add(messages)
    }
  }
})

/** @param {number} delta */
async function change (delta) {
  const seq = stateSeq
  // One key per click: retries of this click (api.js, settle) count once, a second click counts again.
  await write('/api/counter', { delta }, 'the counter change', (data) => {
    if (seq === stateSeq) renderCounter(/** @type {{ value: number }} */ (data).value)
  })
}

/**
 * Whether a key went to something people type text into: a form field, or an editable element — the notes
 * pad is one (CodeMirror's contenteditable), and a hyphen typed in a note must not change the counter.
 * @param {EventTarget | null} target
 */
function takesText (target) {
  return target instanceof HTMLElement && (target.isContentEditable || target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement)
}

byId('inc').addEventListener('click', () => { void change(1) })
byId('dec').addEventListener('click', () => { void change(-1) })
// + and − anywhere but in a text field, for keyboard users.
document.addEventListener('keydown', (e) => {
  if (takesText(e.target) || e.ctrlKey || e.metaKey || e.altKey) return
  if (e.key === '+' || e.key === '=') void change(1)
  else if (e.key === '-' || e.key === '−') void change(-1)
})

fromInput.value = localStorage.getItem(NAME_KEY) ?? ''
chat.myName = fromInput.value.trim()
fromInput.addEventListener('change', () => {
  chat.myName = fromInput.value.trim()
  localStorage.setItem(NAME_KEY, chat.myName)
})

form.addEventListener('submit', async (e) => {
  e.preventDefault()
  const from = fromInput.value.trim()
  const text = textInput.value.trim()
  if (from === '') { fromInput.focus(); showError('Enter your name first.'); return }
  if (text === '') return
  chat.myName = from
  localStorage.setItem(NAME_KEY, from)
  textInput.value = '' // ready for the next line at once; put back if the send fails
  const sent = await write('/api/chat', { from, text }, 'your message', (data) => { chat.add([/** @type {ChatMessage} */ (data)]) })
  // Put back only what surely was not sent: an unknown one may be in the chat already, and is being settled.
  if (!sent && textInput.value === '') textInput.value = text
  textInput.focus()
})
