/**
 * The operator commands of `murmur` (Serf's set): members, join, leave, tags, keygen, monitor, placement, docs.
 * Each talks to an agent's HTTP API (client.ts) and prints for people, or JSON with --json. Exit codes:
 * 0 done, 1 the agent refused or could not be reached, 2 a usage error.
 */
import { randomUUID } from 'node:crypto'
import { constants } from 'node:fs'
import { open, stat } from 'node:fs/promises'
import path from 'node:path'
import type { MemberView, PlacementView } from '../api.js'
import { ConfigError } from '../core/errors.js'
import { displayWidth, padEndColumns } from '../core/display-width.js'
import { closest } from '../core/suggest.js'
import { HEADER_KEY_RULE, isHeaderKey } from '../core/idempotency-key.js'
import { memberTextProblem } from '../core/member-text.js'
import { terminalSafe, terminalSafeJson, unambiguousName } from '../core/terminal-safe.js'
import { MAX_JOIN_ADDRS } from '../http/agent-routes.js'
import { generatePsk } from '../net/psk.js'
import { PROTO_TAG_KEY } from './args.js'
import { AgentError, JsonText, MAY_HAVE_APPLIED, agentClient } from './client.js'
import type { AgentClient } from './client.js'

export class UsageError extends Error {
  override name = 'UsageError'
}

/** Flags every client command takes; each command adds its own. */
const CLIENT_FLAGS = ['--http-addr', '--http-token-file', '--data-dir']

interface Parsed { values: Record<string, string>, switches: Set<string>, positional: string[] }

/**
 * Flags anywhere, as usual; `--` ends them (what follows is positional: a doc name or key that starts
 * with a dash). A negative number (`-5`, `-0.5`) is a value, not a flag: `docs put n k -5`.
 */
function parseCommandArgs (argv: readonly string[], valueFlags: readonly string[], switchFlags: readonly string[]): Parsed {
  const out: Parsed = { values: {}, switches: new Set(), positional: [] }
  let flagsEnded = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (flagsEnded || /^-\d/.test(arg)) {
      out.positional.push(arg)
      continue
    }
    if (arg === '--') {
      flagsEnded = true
      continue
    }
    const eq = arg.indexOf('=')
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg
    if (switchFlags.includes(flag)) {
      if (flag !== arg) throw new UsageError(`${flag} takes no value`)
      // As for a value flag: `--json --json` was taken in silence, where `--status a --status b` is refused.
      if (out.switches.has(flag)) throw new UsageError(`${flag} given twice`)
      out.switches.add(flag)
    } else if (valueFlags.includes(flag)) {
      const value = flag !== arg ? arg.slice(eq + 1) : argv[++i]
      // A flag of this command is no value (as for the agent's flags): `members --data-dir --json` looked for
      // an agent in a directory named --json, and `docs put … --idempotency-key --data-dir a` sent the key --data-dir.
      if (value === undefined || value === '' || (flag === arg && isOwnFlag(value, valueFlags, switchFlags))) throw new UsageError(`${flag} needs a value`)
      // Every value flag of these commands takes one value: a second one was kept silently.
      if (out.values[flag] !== undefined) throw new UsageError(`${flag} given twice: it takes one value`)
      out.values[flag] = value
    } else if (arg.startsWith('-') && arg !== '-') {
      const near = closest(flag, [...valueFlags, ...switchFlags])
      throw new UsageError(`unknown flag ${arg.length > 40 ? `${arg.slice(0, 40)}…` : arg}${near === undefined ? '' : ` (did you mean ${near}?)`}`)
    } else {
      out.positional.push(arg)
    }
  }
  return out
}

/** `--data-dir` or `--json=x`: a flag the command takes, with or without a value. */
function isOwnFlag (arg: string, valueFlags: readonly string[], switchFlags: readonly string[]): boolean {
  const eq = arg.indexOf('=')
  const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg
  return valueFlags.includes(flag) || switchFlags.includes(flag) || flag === '--help' || flag === '-h'
}

/** The flags one action of a command takes besides CLIENT_FLAGS (`docs put`: --idempotency-key). */
interface ActionFlags { values?: readonly string[], switches?: readonly string[] }

/**
 * parseCommandArgs for a command with actions (`docs ls|get|put`, `tags set|del`), the action being the
 * first argument: each action takes only its own flags, so `docs get --idempotency-key K` or `docs put
 * --json` is a usage error like an unknown flag, not a flag accepted and ignored.
 */
function parseActionArgs (argv: readonly string[], command: string, actions: Readonly<Record<string, ActionFlags>>): Parsed {
  const specs = Object.values(actions)
  const p = parseCommandArgs(argv, [...CLIENT_FLAGS, ...specs.flatMap(a => a.values ?? [])], specs.flatMap(a => a.switches ?? []))
  const action = p.positional[0]
  const own = action !== undefined && Object.hasOwn(actions, action) ? actions[action] : undefined
  if (own === undefined) return p // not an action: the command's usage error says which there are
  const takes = [...own.values ?? [], ...own.switches ?? []]
  for (const flag of [...Object.keys(p.values), ...p.switches]) {
    if (CLIENT_FLAGS.includes(flag) || takes.includes(flag)) continue
    throw new UsageError(`${command} ${action}: unknown flag ${flag} (${takes.length === 0 ? `${command} ${action} takes no flag of its own` : `${command} ${action} takes ${takes.join(', ')}`})`)
  }
  return p
}

export interface CommandIo {
  env: Readonly<Record<string, string | undefined>>
  out: (text: string) => void
  /** Ctrl-C: ends a long-running command (monitor), and any command's request to the agent. */
  interrupted: AbortSignal
}

async function client (p: Parsed, io: CommandIo): Promise<AgentClient> {
  return await agentClient({ httpAddr: p.values['--http-addr'], tokenFile: p.values['--http-token-file'], dataDir: p.values['--data-dir'], env: io.env, signal: io.interrupted })
}

/**
 * Columns padded to their widest cell (the last one is not padded), by the columns a terminal gives each
 * (a CJK or emoji doc name takes two per character); every cell terminal-safe.
 */
function table (rows: string[][]): string {
  const safe = rows.map(r => r.map(terminalSafe))
  const widths = safe[0]?.map((_, i) => Math.max(...safe.map(r => displayWidth(r[i] ?? '')))) ?? []
  return safe.map(r => r.map((c, i) => i === r.length - 1 ? c : padEndColumns(c, widths[i] ?? 0)).join('  ').trimEnd()).join('\n') + '\n'
}

const bareAddr = (addr: string): string => addr.replace(/\/p2p\/[^/]+$/, '')

/**
 * A tag key or value in a `k=v,k2=v2` cell, as unambiguousName shows a name, and quoted as well when it holds
 * `=` or `,`: the one tag `role=db,zone=x` showed as the two `role=db` and `zone=x`. Any member chooses its tags.
 */
const tagPart = (text: string): string => text === '' ? '' : /[=,]/.test(text) ? terminalSafeJson(text) : unambiguousName(text)
const tagsText = (tags: Readonly<Record<string, string>>): string => Object.entries(tags).map(([k, v]) => `${tagPart(k)}=${tagPart(v)}`).join(',')

/** A name in a line whose words are one space apart (monitor's): as unambiguousName shows it, and quoted when it holds a space. */
const wordName = (name: string): string => name.includes(' ') ? terminalSafeJson(name) : unambiguousName(name)

async function members (argv: readonly string[], io: CommandIo): Promise<void> {
  const p = parseCommandArgs(argv, [...CLIENT_FLAGS, '--status'], ['--json'])
  if (p.positional.length > 0) throw new UsageError(`members takes no arguments, got ${p.positional[0] ?? ''}`)
  let status: RegExp | undefined
  if (p.values['--status'] !== undefined) {
    try {
      status = new RegExp(`^(?:${p.values['--status']})$`)
    } catch {
      throw new UsageError(`--status ${p.values['--status']}: not a regular expression`)
    }
  }
  const c = await client(p, io)
  const list = memberList(await c.request<unknown>('GET', '/members'), c.base).filter(m => status === undefined || status.test(m.state))
  if (p.switches.has('--json')) {
    io.out(`${terminalSafeJson(list, 2)}\n`)
    return
  }
  if (list.length === 0) return
  // Names, addresses and tags come from the members themselves (the wire bounds only their length): shown so
  // that none passes for another (`a ` for `a`, ESC for the six characters `\u001b`) or forges a column.
  io.out(table(list.map(m => [unambiguousName(m.name), unambiguousName(bareAddr(m.addrs[0] ?? '-')), m.state, m.peerId, tagsText(m.tags)])))
}

/**
 * `GET /members`' answer, checked before it is printed: whatever answers at the address may not be a murmur
 * agent (another service on the port, a proxy's error page as JSON), and a list of something else made
 * `members` throw a TypeError.
 */
function memberList (body: unknown, base: string): MemberView[] {
  const isMember = (m: unknown): m is MemberView => {
    if (typeof m !== 'object' || m === null) return false
    const v = m as Record<string, unknown>
    return typeof v.peerId === 'string' && typeof v.name === 'string' && typeof v.state === 'string' &&
      Array.isArray(v.addrs) && v.addrs.every(a => typeof a === 'string') &&
      typeof v.tags === 'object' && v.tags !== null && Object.values(v.tags).every(t => typeof t === 'string')
  }
  if (!Array.isArray(body) || !body.every(isMember)) throw new AgentError(`${base} answered GET /members with something that is not a member list: is a murmur agent at that address?`)
  return body
}

/** What `GET /placement` answers, with `doc` when asked about one (`?doc=<name>`); a scheme this murmur does not know is printed as it is. */
type PlacementAnswer = Omit<PlacementView, 'scheme'> & { scheme: string, doc?: { name: string, homes: string[] } }

async function placement (argv: readonly string[], io: CommandIo): Promise<void> {
  const p = parseCommandArgs(argv, CLIENT_FLAGS, ['--json'])
  if (p.positional.length > 1) throw new UsageError('usage: murmur placement [doc] [--json]')
  const doc = p.positional[0]
  if (doc === '') throw new UsageError('a doc name cannot be empty (omit it for the placement alone)')
  const c = await client(p, io)
  const view = placementAnswer(await c.request<unknown>('GET', doc === undefined ? '/placement' : `/placement?doc=${encodeURIComponent(doc)}`), c.base, doc)
  if (p.switches.has('--json')) {
    io.out(`${terminalSafeJson(view, 2)}\n`)
    return
  }
  const { docs: d } = view
  const rows: string[][] = [
    ['replicas', `${view.replicas} (${view.scheme} over ${view.members.length} member(s), placement version ${view.version})`],
    ['docs here', `${d.held} held: ${d.homed} homed here, ${d.guest} guest, ${d.open} open in the app`]
  ]
  const disagreeing = Object.entries(view.disagreeing)
  if (disagreeing.length === 0) rows.push(['disagreeing', 'none'])
  disagreeing.forEach(([id, r], i) => { rows.push([i === 0 ? 'disagreeing' : '', `${id} uses --replicas ${r}`]) })
  // Per member, how many of the docs held here it homes (ids padded here, as printed: table() pads every column but the last).
  const ids = view.members.map(terminalSafe)
  const width = Math.max(0, ...ids.map(id => id.length))
  view.members.forEach((id, i) => { rows.push([i === 0 ? 'members' : '', `${(ids[i] ?? '').padEnd(width)}  homes ${Object.hasOwn(view.peers, id) ? view.peers[id] : 0}`]) })
  const named = view.doc
  if (named !== undefined) {
    const label = `homes of ${named.name}`
    if (named.homes.length === 0) rows.push([label, 'none'])
    named.homes.forEach((id, i) => { rows.push([i === 0 ? label : '', id]) })
  }
  io.out(table(rows))
}

/**
 * `GET /placement`'s answer, checked before it is printed, as `memberList` checks `GET /members`'. With
 * `doc`, it must name that doc and its homes: an agent older than this command ignores `?doc=`.
 */
function placementAnswer (body: unknown, base: string, doc: string | undefined): PlacementAnswer {
  const count = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0
  const record = (r: unknown, valid: (n: unknown) => boolean): r is Record<string, number> =>
    typeof r === 'object' && r !== null && !Array.isArray(r) && Object.values(r).every(valid)
  const strings = (a: unknown): a is string[] => Array.isArray(a) && a.every(s => typeof s === 'string')
  const v = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>
  const docs = (typeof v.docs === 'object' && v.docs !== null ? v.docs : {}) as Record<string, unknown>
  const valid = typeof v.scheme === 'string' && count(v.replicas) && (v.replicas as number) > 0 && strings(v.members) && count(v.version) &&
    count(docs.held) && count(docs.homed) && count(docs.guest) && count(docs.open) &&
    record(v.peers, count) && record(v.disagreeing, n => count(n) && (n as number) > 0)
  if (!valid) throw new AgentError(`${base} answered GET /placement with something that is not a placement: is a murmur agent at that address?`)
  const answer = { ...v } as unknown as PlacementAnswer
  if (doc === undefined) {
    delete answer.doc // not asked for: not printed, whatever it is
    return answer
  }
  const named = (typeof v.doc === 'object' && v.doc !== null ? v.doc : {}) as Record<string, unknown>
  if (v.doc === undefined) throw new AgentError(`${base} did not say the homes of ${terminalSafeJson(doc)} (an agent older than this murmur ignores GET /placement?doc=): GET /docs/<name> shows them for a doc that exists`)
  if (named.name !== doc || !strings(named.homes)) throw new AgentError(`${base} answered GET /placement?doc= with something that is not ${terminalSafeJson(doc)}'s homes: is a murmur agent at that address?`)
  return answer
}

/** For readiness probes (Kubernetes exec, Docker, systemd): exit 0 once the agent is in a mesh. */
async function ready (argv: readonly string[], io: CommandIo): Promise<void> {
  const p = parseCommandArgs(argv, CLIENT_FLAGS, [])
  if (p.positional.length > 0) throw new UsageError('ready takes no arguments')
  const r = await (await client(p, io)).request<{ alive: number }>('GET', '/ready')
  io.out(`ready: ${r.alive} alive member(s)\n`)
}

/**
 * For liveness checks (a Docker HEALTHCHECK): exit 0 if the agent answers GET /health. Found like every
 * command (by default through the address the agent records in its data dir), so the check follows
 * wherever the agent's settings put its HTTP API.
 */
async function health (argv: readonly string[], io: CommandIo): Promise<void> {
  const p = parseCommandArgs(argv, CLIENT_FLAGS, [])
  if (p.positional.length > 0) throw new UsageError('health takes no arguments')
  await (await client(p, io)).request('GET', '/health')
  io.out('healthy\n')
}

async function join (argv: readonly string[], io: CommandIo): Promise<number> {
  const p = parseCommandArgs(argv, CLIENT_FLAGS, [])
  if (p.positional.length === 0) throw new UsageError('join needs at least one address: murmur join /ip4/10.0.0.5/tcp/4001 [...]')
  // The agent takes MAX_JOIN_ADDRS at a time: more was its 400 about a JSON body the operator never wrote.
  const addrs = [...new Set(p.positional)]
  if (addrs.length > MAX_JOIN_ADDRS) throw new UsageError(`join takes at most ${MAX_JOIN_ADDRS} addresses at a time, got ${addrs.length}: join the rest with another murmur join (a DNS name counts once, however many addresses it has)`)
  const { contacted, self, failed } = await (await client(p, io)).request<{ contacted: number, self?: number, failed?: unknown }>('POST', '/join', { addrs })
  // `self` and `failed` are absent from agents older than this client.
  const own = self === undefined || self === 0 ? '' : `; ${self} address(es) are this agent's own (skipped): give another peer's address`
  io.out(`joined: ${contacted} peer(s) answered${own}\n`)
  // Each address that did not answer, with why (the name did not resolve, connection refused, no answer).
  const isFailure = (f: unknown): f is { addr: string, reason: string } =>
    typeof f === 'object' && f !== null && typeof (f as { addr?: unknown }).addr === 'string' && typeof (f as { reason?: unknown }).reason === 'string'
  if (Array.isArray(failed)) for (const f of failed.filter(isFailure)) io.out(`not joined ${terminalSafe(f.addr)}: ${terminalSafe(f.reason)}\n`)
  return contacted > 0 ? 0 : 1
}

async function leave (argv: readonly string[], io: CommandIo): Promise<void> {
  const p = parseCommandArgs(argv, CLIENT_FLAGS, [])
  if (p.positional.length > 0) throw new UsageError('leave takes no arguments')
  await (await client(p, io)).request('POST', '/leave')
  io.out('left the mesh gracefully; the agent is shutting down\n')
}

async function tags (argv: readonly string[], io: CommandIo): Promise<void> {
  const p = parseActionArgs(argv, 'tags', { set: { switches: ['--json'] }, del: { switches: ['--json'] } })
  const [action, ...items] = p.positional
  if ((action !== 'set' && action !== 'del') || items.length === 0) throw new UsageError('usage: murmur tags set <key=value>... | murmur tags del <key>...')
  const set = new Map<string, string>()
  if (action === 'set') {
    for (const kv of items) {
      const eq = kv.indexOf('=')
      if (eq <= 0) throw new UsageError(`tags set ${kv}: expected key=value`)
      const key = kv.slice(0, eq)
      // As for the agent's --tag: the last of two values was sent silently, and __proto__ set the body's
      // prototype (the agent then refused a "body" with that key, which the operator never wrote).
      if (key === '__proto__') throw new UsageError(`tags set ${kv}: ${PROTO_TAG_KEY}`)
      if (set.has(key)) throw new UsageError(`tags set ${kv}: key ${key} given twice`)
      // As for the agent's --tag: a newline or an escape was sent, taken and gossiped.
      for (const [what, text] of [['key', key], ['value', kv.slice(eq + 1)]] as const) {
        const problem = memberTextProblem(text)
        if (problem !== undefined) throw new UsageError(`tags set ${terminalSafeJson(kv)}: ${what} ${problem}`)
      }
      set.set(key, kv.slice(eq + 1))
    }
  }
  const body = action === 'set' ? { set: Object.fromEntries(set) } : { delete: items }
  const c = await client(p, io)
  const now = (await c.request<{ tags?: unknown } | null>('POST', '/tags', body))?.tags
  // Whatever answers at the address may not be a murmur agent; the POST may still have done something there.
  const isTags = (t: unknown): t is Record<string, string> => typeof t === 'object' && t !== null && !Array.isArray(t) && Object.values(t).every(v => typeof v === 'string')
  if (!isTags(now)) throw new AgentError(`${c.base} answered POST /tags without the agent's tags: is a murmur agent at that address?${MAY_HAVE_APPLIED}`)
  io.out(p.switches.has('--json') ? `${terminalSafeJson(now)}\n` : table([['tags', tagsText(now) || '(none)']]))
}

async function keygen (argv: readonly string[], io: CommandIo): Promise<void> {
  const p = parseCommandArgs(argv, [], [])
  if (p.positional.length > 1) throw new UsageError('usage: murmur keygen [file]')
  const key = generatePsk()
  const file = p.positional[0]
  // `-` is standard output, as usual: it was a file named "-" (and "start every peer with --psk -").
  if (file === undefined || file === '-') {
    io.out(key)
    return
  }
  if (file === '') throw new UsageError('the file name cannot be empty (omit it to print the key)')
  try {
    // Created owner-only and never over an existing key (a mesh's key is not replaced by accident).
    const fh = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
    try {
      await fh.writeFile(key)
      await fh.chmod(0o600)
      await fh.sync()
    } finally {
      await fh.close()
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // A directory (`murmur keygen /etc/murmur`) was said to be a key not overwritten.
    if ((code === 'EEXIST' || code === 'EISDIR') && await isDirectory(file)) throw new ConfigError(`${file} is a directory: give the key file's path, e.g. murmur keygen ${path.join(file, 'swarm.key')}`)
    throw new ConfigError(code === 'EEXIST' ? `${file} exists; not overwriting a key (remove it first if you mean to)` : `cannot write ${file}: ${code ?? String(err)}`)
  }
  io.out(`wrote a new pre-shared key to ${file} (mode 0600); start every peer with --psk ${file}\n`)
}

async function isDirectory (file: string): Promise<boolean> {
  try {
    return (await stat(file)).isDirectory()
  } catch {
    return false
  }
}

interface SseEvent { event: string, data: string }

/** Splits a text/event-stream body into events (WHATWG HTML §9.2), bounded per event. */
async function * sseEvents (body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const MAX_EVENT_CHARS = 1024 * 1024
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n')
    if (buffer.length > MAX_EVENT_CHARS && !buffer.includes('\n\n')) throw new AgentError('an event on the stream is larger than 1 MiB')
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      let event = 'message'
      const data: string[] = []
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue
        const colon = line.indexOf(':')
        const field = colon < 0 ? line : line.slice(0, colon)
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
        if (field === 'event') event = value
        else if (field === 'data') data.push(value)
      }
      if (data.length > 0) yield { event, data: data.join('\n') }
    }
  }
}

/** An event's data as JSON, or as the text it is when it is not JSON (a stream from something else). */
function parseData (data: string): unknown {
  try {
    return JSON.parse(data) as unknown
  } catch {
    return data
  }
}

/** One line for people: time, kind, what happened (terminal-safe: names come from the mesh). */
export function describeEvent (e: SseEvent, at: Date): string {
  return terminalSafe(eventLine(e, at))
}

function eventLine (e: SseEvent, at: Date): string {
  let d: Record<string, unknown> = {}
  try { d = JSON.parse(e.data) as Record<string, unknown> } catch {}
  const time = at.toISOString()
  if (e.event === 'member') {
    const m = (d.member ?? {}) as Partial<MemberView>
    return `${time} member ${String(d.type)} ${typeof m.name === 'string' ? wordName(m.name) : '?'} ${m.peerId ?? '?'}${m.state === undefined ? '' : ` (${m.state}, incarnation ${m.incarnation ?? '?'})`}`
  }
  if (e.event === 'doc') return `${time} doc ${String(d.origin)} ${typeof d.name === 'string' ? wordName(d.name) : '?'} digest ${String(d.digest).slice(0, 12)}`
  if (e.event === 'hello') return `${time} connected to ${String(d.peerId)}: ${Array.isArray(d.members) ? d.members.length : '?'} member(s) known`
  if (e.event === 'closing') return `${time} the agent ${d.left === true ? 'left the mesh gracefully and is shutting down' : 'is shutting down (it did not leave the mesh)'}: end of the event stream`
  return `${time} ${e.event} ${e.data}`
}

async function monitor (argv: readonly string[], io: CommandIo): Promise<number> {
  const p = parseCommandArgs(argv, CLIENT_FLAGS, ['--json'])
  if (p.positional.length > 0) throw new UsageError('monitor takes no arguments')
  const c = await client(p, io)
  let res: Response
  try {
    res = await c.stream('/events', io.interrupted)
  } catch (err) {
    // Ctrl-C before the agent answered ends monitor as Ctrl-C after does: exit 0.
    if (err instanceof AgentError && err.interrupted) return 0
    throw err
  }
  if (res.body === null) throw new AgentError('the agent sent no event stream')
  // The agent's last event when it shuts down (after a graceful leave: `left`); a stream that ends without
  // it was cut (the agent killed or crashed, or it dropped a client that did not keep up).
  let closing: { left: boolean } | undefined
  try {
    for await (const e of sseEvents(res.body)) {
      io.out(p.switches.has('--json') ? `${terminalSafeJson({ event: e.event, at: new Date().toISOString(), data: parseData(e.data) })}\n` : `${describeEvent(e, new Date())}\n`)
      if (e.event === 'closing') {
        const d = parseData(e.data)
        closing = { left: typeof d === 'object' && d !== null && (d as { left?: unknown }).left === true }
        break
      }
    }
  } catch (err) {
    if (io.interrupted.aborted) return 0
    if (err instanceof AgentError) throw err
    // The connection reset (the agent killed): one line, not an uncaught "Error: aborted" and its stack.
    const code = (err as NodeJS.ErrnoException).code
    throw new AgentError(`${CUT} (${typeof code === 'string' ? code : err instanceof Error ? err.message : String(err)})`)
  }
  if (io.interrupted.aborted) return 0
  if (closing?.left === true) return 0
  if (closing !== undefined) throw new AgentError('the agent shut down without leaving the mesh')
  throw new AgentError(CUT)
}

const CUT = 'the event stream was cut: the agent stopped without saying so (killed, crashed), or dropped a client that did not keep up'

/** Retries of a write whose outcome is unknown, and the pause before each. */
const PUT_RETRY_DELAYS_MS = [500, 1_500]

/**
 * A write under one Idempotency-Key, retried with the same key while its outcome is unknown (500, or no
 * answer: the agent may have applied it): the agent applies the key at most once, so a retry can neither
 * lose nor double the write. A refusal (4xx, 503, 507: nothing applied) is final, and so is a first
 * attempt that never left (connection refused, no such host: nothing applied). If the outcome is still
 * unknown after the retries, the error names the key, so the operator can retry it later.
 */
async function putOnce<T> (key: string, send: (headers: Record<string, string>) => Promise<T>, interrupted: AbortSignal): Promise<T> {
  // The error of a request that never left says 'not applied' (client.ts): not so after an earlier attempt.
  const plain = (err: AgentError): string => err.message.replace(/ \(nothing was sent: not applied\)$/, '').replace(MAY_HAVE_APPLIED, '')
  const unknownOutcome = (err: AgentError): AgentError => new AgentError(`${plain(err)} (the write may or may not have been applied: retry with --idempotency-key ${key}, which applies it at most once)`, err.status, err.code, err.interrupted)
  for (let attempt = 0; ; attempt++) {
    try {
      return await send({ 'idempotency-key': key })
    } catch (err) {
      if (attempt === 0 && err instanceof AgentError && err.notSent) throw new AgentError(`${plain(err)} (nothing was sent: the write was not applied)`, err.status, err.code, err.interrupted, true)
      const unknown = err instanceof AgentError && (err.status === undefined || err.status === 500)
      if (!unknown) throw err
      const delay = PUT_RETRY_DELAYS_MS[attempt]
      if (delay === undefined || err.interrupted) throw unknownOutcome(err)
      const aborted = await new Promise<boolean>((resolve) => {
        const onAbort = (): void => { clearTimeout(timer); resolve(true) }
        const timer = setTimeout(() => { interrupted.removeEventListener('abort', onAbort); resolve(false) }, delay)
        if (interrupted.aborted) onAbort()
        else interrupted.addEventListener('abort', onAbort, { once: true })
      })
      if (aborted) throw unknownOutcome(new AgentError(`interrupted (${plain(err)})`, err.status, err.code, true))
    }
  }
}

async function docs (argv: readonly string[], io: CommandIo): Promise<void> {
  const p = parseActionArgs(argv, 'docs', { ls: { switches: ['--json'] }, get: { switches: ['--json'] }, put: { values: ['--idempotency-key'] } })
  const [action, name, key, value, ...extra] = p.positional
  if (name === '' || key === '') throw new UsageError(`${name === '' ? 'a doc name' : 'a key'} cannot be empty`)
  // Dots too: a segment "." or ".." must reach the agent as a name, not be read as a dot segment.
  const enc = (segment: string): string => encodeURIComponent(segment).replaceAll('.', '%2E')
  if (action === 'ls' && name === undefined) {
    const list = await (await client(p, io)).request<Array<{ name: string, digest: string, version: Record<string, number> }>>('GET', '/docs')
    if (p.switches.has('--json')) io.out(`${terminalSafeJson(list, 2)}\n`)
    // Names quoted when bare they could pass for another (" " was a blank-looking row, "a " looked like "a").
    else if (list.length > 0) io.out(table(list.map(d => [unambiguousName(d.name), d.digest.slice(0, 16), `${Object.keys(d.version).length} writer(s)`])))
    return
  }
  if (action === 'get' && name !== undefined && value === undefined) {
    const got = await (await client(p, io)).request('GET', key === undefined ? `/docs/${enc(name)}` : `/docs/${enc(name)}/kv/${enc(key)}`)
    io.out(`${terminalSafeJson(got, p.switches.has('--json') ? 0 : 2)}\n`)
    return
  }
  if (action === 'put' && name !== undefined && key !== undefined && value !== undefined && extra.length === 0) {
    try {
      JSON.parse(value)
    } catch {
      throw new UsageError(`docs put: the value must be JSON (a string is quoted: '"hello"'), got ${value.slice(0, 40)}`)
    }
    const given = p.values['--idempotency-key']
    if (given !== undefined && !isHeaderKey(given)) throw new UsageError(`--idempotency-key must be ${HEADER_KEY_RULE} (it travels as an HTTP header), got ${terminalSafeJson(given.slice(0, 40))}`)
    const agent = await client(p, io)
    const r = await putOnce(given ?? randomUUID(), (headers) => agent.request<{ version: Record<string, number> }>('PUT', `/docs/${enc(name)}/kv/${enc(key)}`, new JsonText(value), headers), io.interrupted)
    io.out(`${terminalSafeJson(r)}\n`)
    return
  }
  throw new UsageError('usage: murmur docs ls [--json] | murmur docs get <name> [key] [--json] | murmur docs put <name> <key> <json> [--idempotency-key K]')
}

export interface Command {
  run: (argv: readonly string[], io: CommandIo) => Promise<number | void>
  usage: string
  summary: string
  /** Works without an agent (no --http-addr, --data-dir or --http-token-file). */
  local?: true
}

export const COMMANDS: Readonly<Record<string, Command>> = {
  members: { run: members, usage: 'members [--json] [--status <regexp>]', summary: 'the mesh as this agent sees it' },
  ready: { run: ready, usage: 'ready', summary: 'exit 0 once the agent is in a mesh and caught up, or has nobody to join (GET /ready): for readiness probes' },
  health: { run: health, usage: 'health', summary: 'exit 0 if the agent answers (GET /health): for liveness checks' },
  join: { run: join, usage: 'join <multiaddr>...', summary: 'join the mesh of these peers (a DNS name: each of its addresses)' },
  leave: { run: leave, usage: 'leave', summary: 'leave gracefully and stop the agent' },
  tags: { run: tags, usage: 'tags set <k=v>... | tags del <k>...', summary: 'change this agent\'s tags (gossiped at once)' },
  keygen: { run: keygen, usage: 'keygen [file]', summary: 'a new pre-shared key for --psk, printed or written 0600', local: true },
  monitor: { run: monitor, usage: 'monitor [--json]', summary: 'the agent\'s events, one line each, until Ctrl-C or the agent leaves' },
  placement: { run: placement, usage: 'placement [doc] [--json]', summary: 'where docs live: R, the docs held here, members using another --replicas, a doc\'s homes (GET /placement)' },
  docs: { run: docs, usage: 'docs ls [--json] | get <name> [key] [--json] | put <name> <key> <json> [--idempotency-key K]', summary: 'documents' }
}
