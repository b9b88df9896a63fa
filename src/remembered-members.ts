/**
 * The members a peer last saw alive, kept in its data dir (`members.json`) so that a restart finds the mesh
 * again without seeds — Serf's snapshot and rejoin. The peer that started a mesh usually has no
 * `--bootstrap`; after a graceful stop (the others list it `left` and never call it again) it came back
 * alone for good. The remembered members are extra seeds, hints only: they do not change readiness.
 *
 * The file is input from disk, so untrusted: bounded in size, every id and address checked, and a file
 * that cannot be used is one warning and ignored, never a failed start.
 */
import { open, readFile, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from './core/logger.js'
import { PRIVATE_FILE_MODE } from './core/private-files.js'
import type { Destination } from './core/transport.js'
import { SWIM_LIMITS } from './membership/codec.js'
import { isPeerId, parseMultiaddr, peerIdOf, tcpAddrProblem } from './net/addresses.js'

/** The file's name in the data dir. */
export const MEMBERS_FILE = 'members.json'
/** Members remembered at most: any one of them alive is enough to rejoin, and each is a seed re-tried in turn. */
export const MAX_REMEMBERED = 32
/** A file of MAX_REMEMBERED members with their addresses is a few KiB; past this it is not ours. */
export const MAX_MEMBERS_FILE_BYTES = 256 * 1024
/** How often the list is written again (only when it changed). */
export const REMEMBER_INTERVAL_MS = 30_000
/** The file's format, so a later one can tell it apart. */
const FORMAT = 1

/** One remembered member: its peer id and the addresses it was dialled at. */
export interface RememberedMember {
  id: string
  addrs: string[]
}

/** The addresses of `id` worth dialling: a TCP multiaddr that names no other peer, bounded as gossip bounds them. */
function dialable (id: string, addrs: readonly unknown[]): string[] {
  const out: string[] = []
  for (const a of addrs) {
    if (typeof a !== 'string' || a.length > SWIM_LIMITS.addrChars || out.includes(a)) continue
    const ma = parseMultiaddr(a)
    if (ma === undefined || tcpAddrProblem(ma, 'dial', s => s) !== undefined) continue
    const named = peerIdOf(ma)
    if (named !== undefined && named !== id) continue
    out.push(a)
    if (out.length === SWIM_LIMITS.addrs) break
  }
  return out
}

/**
 * The members worth remembering, out of those seen alive: a valid id and at least one dialable address,
 * not `selfId`, sorted by id (the same members give the same file: unchanged, it is not written again),
 * at most MAX_REMEMBERED.
 */
export function rememberable (members: ReadonlyArray<{ id: string, addrs: readonly unknown[] }>, selfId: string): RememberedMember[] {
  const seen = new Set<string>()
  const out: RememberedMember[] = []
  for (const m of members) {
    if (typeof m.id !== 'string' || m.id === selfId || seen.has(m.id) || !isPeerId(m.id) || !Array.isArray(m.addrs)) continue
    const addrs = dialable(m.id, m.addrs)
    if (addrs.length === 0) continue
    seen.add(m.id)
    out.push({ id: m.id, addrs })
  }
  return out.sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0).slice(0, MAX_REMEMBERED)
}

/** The file's text for `members`. */
export function membersText (members: readonly RememberedMember[]): string {
  return `${JSON.stringify({ format: FORMAT, members }, null, 1)}\n`
}

/**
 * The members in a file's text (entries with a bad id or no usable address dropped, `selfId` skipped), or
 * why the file cannot be used.
 */
export function parseMembers (text: string, selfId: string): { members: RememberedMember[] } | { problem: string } {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return { problem: 'not valid JSON' }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { problem: 'not a JSON object' }
  const { format, members } = json as { format?: unknown, members?: unknown }
  if (format !== FORMAT) return { problem: `unknown format ${JSON.stringify(format) ?? 'undefined'} (expected ${FORMAT})` }
  if (!Array.isArray(members)) return { problem: 'no "members" list' }
  const entries = members.slice(0, MAX_REMEMBERED).filter((m): m is { id: string, addrs: unknown[] } => typeof m === 'object' && m !== null)
  return { members: rememberable(entries, selfId) }
}

/** The remembered members as seeds. */
export function rememberedSeeds (members: readonly RememberedMember[]): Destination[] {
  return members.map(m => ({ id: m.id, addrs: m.addrs }))
}

const why = (err: unknown): string => (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err))

/**
 * Reads `dataDir`'s members file. None there: an empty list. One that cannot be used (unreadable, too
 * large, corrupt): a warning naming it and why, and an empty list.
 */
export async function readRememberedMembers (dataDir: string, selfId: string, log: Logger): Promise<RememberedMember[]> {
  const file = path.join(dataDir, MEMBERS_FILE)
  const ignored = (reason: string): RememberedMember[] => {
    log.warn(`remembered members file ${file} ignored: ${reason}`)
    return []
  }
  let text: string
  try {
    const info = await stat(file)
    if (!info.isFile()) return ignored('not a regular file')
    if (info.size > MAX_MEMBERS_FILE_BYTES) return ignored(`${info.size} bytes, at most ${MAX_MEMBERS_FILE_BYTES} expected`)
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    return ignored(`cannot read it (${why(err)})`)
  }
  // Checked again: the file may have grown between stat and read.
  if (text.length > MAX_MEMBERS_FILE_BYTES) return ignored(`over ${MAX_MEMBERS_FILE_BYTES} bytes`)
  let parsed: ReturnType<typeof parseMembers>
  try {
    parsed = parseMembers(text, selfId)
  } catch (err) {
    // Nothing in it may stop a start: a multiaddr library's surprise too.
    return ignored(`cannot parse it (${why(err)})`)
  }
  return 'problem' in parsed ? ignored(parsed.problem) : parsed.members
}

/** Writes `text` as `dataDir`'s members file, owner-only, whole or not at all (a temp file renamed over it). */
export async function writeMembersFile (dataDir: string, text: string): Promise<void> {
  const file = path.join(dataDir, MEMBERS_FILE)
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`
  try {
    const fh = await open(tmp, 'wx', PRIVATE_FILE_MODE)
    try {
      await fh.writeFile(text)
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, file)
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {})
    throw err
  }
}

export interface MemberMemoryInit {
  dataDir: string
  log: Logger
  /** This peer's id (never remembered). */
  selfId: string
  /** The other members alive now. */
  alive: () => ReadonlyArray<{ id: string, addrs: readonly string[] }>
  /** The members the file held at start (not written again while they are the same). */
  remembered: readonly RememberedMember[]
  intervalMs?: number
}

/**
 * Keeps the members file up to date: every `intervalMs` when the members alive changed, and once more on
 * `stop()`. Nobody alive writes nothing: the last members seen are the best hint for the next start (they
 * may all be restarting too), and an empty file would leave this peer alone again.
 */
export class MemberMemory {
  private lastText: string
  private writing: Promise<void> = Promise.resolve()
  private timer: NodeJS.Timeout | undefined
  private failing = false

  constructor (private readonly init: MemberMemoryInit) {
    this.lastText = init.remembered.length === 0 ? '' : membersText(init.remembered)
  }

  start (): void {
    this.timer ??= setInterval(() => { void this.save() }, this.init.intervalMs ?? REMEMBER_INTERVAL_MS)
    // A timer of its own must not keep a process alive that is done otherwise.
    this.timer.unref()
  }

  /** Stops the timer and writes the members alive now (call before the transport closes). */
  async stop (): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.save()
  }

  /** Writes the members alive now, if they are not what the file holds; one write at a time. */
  save (): Promise<void> {
    this.writing = this.writing.then(async () => { await this.writeIfChanged() })
    return this.writing
  }

  private async writeIfChanged (): Promise<void> {
    const members = rememberable(this.init.alive(), this.init.selfId)
    if (members.length === 0) return
    const text = membersText(members)
    if (text === this.lastText) return
    try {
      await writeMembersFile(this.init.dataDir, text)
      this.lastText = text
      this.failing = false
    } catch (err) {
      // Once per failing spell (a full disk fails every 30 s): the next success re-arms it.
      if (!this.failing) this.init.log.warn(`cannot write remembered members file ${path.join(this.init.dataDir, MEMBERS_FILE)} (${why(err)}): a restart without --bootstrap may not find the mesh again`)
      this.failing = true
    }
  }
}
