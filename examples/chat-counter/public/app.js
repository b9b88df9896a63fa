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

/**
 * What to tell the user about a write that failed: refused (nothing happened) or unknown (it may have).
 * @param {string} what @param {unknown} err
 */
function failure (what, err) {
  const detail = err instanceof Error ? err.message : String(err)
  return err instanceof OutcomeUnknown
    ? `Not confirmed: ${what} may or may not have been saved (${detail}). Trying again is safe: it takes effect once.`
    : `Not saved: ${what} (${detail}).`
}

/** @param {string} state @param {string} text */
function setConnection (state, text) {
  connection.dataset.state = state
  connection.textContent = text
}

api.connect({
  onOpen: () => { setConnection('live', 'live') },
  onDown: () => { setConnection('offline', 'reconnecting to this peer…') },
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
  try {
    // One key per click: retries of this click (api.js) count once, a second click counts again.
    const { value } = /** @type {{ value: number }} */ (await api.post('/api/counter', { delta }, newKey()))
    if (seq === stateSeq) renderCounter(value)
    showError('')
  } catch (err) {
    showError(failure('the counter change', err))
  }
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
  try {
    const message = /** @type {ChatMessage} */ (await api.post('/api/chat', { from, text }, newKey()))
    chat.add([message])
    showError('')
  } catch (err) {
    // Put back only what surely was not sent: an unknown one may be in the chat already.
    if (textInput.value === '' && !(err instanceof OutcomeUnknown)) textInput.value = text
    showError(failure('your message', err))
  }
  textInput.focus()
})
