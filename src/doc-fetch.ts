/**
 * Fetching a doc this peer holds nothing of from the peers that hold it, before the app opens it (`opened`),
 * a read or a delete finds it (`locate`), or a write builds on it (`caughtUpForWrite`): ask the live peers,
 * wait for the first exchange, ask again while a home is silent or a holder's state has not arrived, and
 * conclude "no such doc" only on evidence (every live home said it holds none). Split out of mesh-node.ts,
 * which assembles the node; like it, transport-free: callbacks and clock timers, no promise between steps
 * (the simulator's synchronous loop drives it unchanged).
 */
import type * as Y from 'yjs'
import type { Clock } from './core/clock.js'
import { NotRunningError } from './core/errors.js'
import type { Membership } from './membership/membership.js'
import { MemberState } from './membership/member.js'
import type { Replicator } from './replication/replicator.js'
import { assertDocName } from './replication/doc-registry.js'
import { DocUnreachableError } from './replication/errors.js'

/**
 * Opening a doc for the first time waits at most this long for peers' copies (a doc nobody has: until its
 * live homes said so, or the full wait if one is silent).
 */
export const INITIAL_FETCH_WAIT_MS = 1_000
/**
 * Once a peer answered that it holds a doc being read here, the read waits this long more for the doc itself
 * (slow links, a busy peer: its step 3 leaves only after a store write). Reading before it arrived answered
 * "no such key" for a doc the mesh holds. A doc nobody holds still costs only INITIAL_FETCH_WAIT_MS.
 */
export const HOSTED_FETCH_WAIT_MS = 10_000
/**
 * A write to a doc this peer holds nothing of waits up to this long in all (not just INITIAL_FETCH_WAIT_MS) while
 * a live home it holds a connection to has not answered at all: busy rather than cut off (see caughtUpForWrite).
 * Bounded low, as a link cut without a word (a pulled cable) also leaves a connection open for a while.
 */
export const SILENT_HOME_WAIT_MS = 3_000
/** A read that found hosts but got nothing of the doc asks again after this pause (until HOSTED_FETCH_WAIT_MS). */
const REFETCH_PAUSE_MS = 100

export interface DocFetchDeps {
  readonly id: string
  readonly replicator: Replicator
  readonly membership: Membership
  readonly clock: Clock
  /** stop() was called: waits end, and nothing new is asked. */
  stopped(): boolean
  /** No peer to join (no seeds, nothing found on the LAN): alone is a mesh of one, not a mesh not joined yet. */
  nobodyToJoin(): boolean
}

export class DocFetch {
  private readonly initialFetches = new Map<string, Promise<Y.Doc>>()
  /** Fetches of a doc with no state here before writing to it: the writes waiting for each (called with `blind`). */
  private readonly writeFetches = new Map<string, Array<(blind: boolean) => void>>()
  /** The waits for other peers' answers under way (`firstExchange`, a read's pause before asking again), each ended by calling it. */
  private readonly exchanges = new Set<() => void>()

  constructor (private readonly d: DocFetchDeps) {}

  /** Ends every wait under way (their callers then find the peer stopped). */
  stop (): void {
    for (const finish of [...this.exchanges]) finish()
  }

  /** Opens `name` (pinned in the replicator until `close`), waiting for a first exchange the first time: see MeshNode.doc. */
  async opened (name: string): Promise<Y.Doc> {
    const pending = this.initialFetches.get(name)
    if (pending !== undefined) return await pending
    if (this.d.replicator.hasState(name) || this.d.membership.aliveCount === 0) return await this.d.replicator.open(name)
    const opening = this.d.replicator.open(name).then(async (doc) => {
      // Loaded here already with nothing in it (a sync step that brought nothing): its first load asked
      // peers for it, so ask again. Once every live home said it holds none, and no other host is known,
      // there is nothing to wait for: a new doc cost the whole wait, and a y-websocket client of a new doc
      // its first sync 1 s late.
      const answers = this.absenceOf(name)
      await new Promise<void>((resolve) => {
        this.d.replicator.refetch(name, () => { this.firstExchange(name, INITIAL_FETCH_WAIT_MS, resolve, answers.nobodyHasIt) })
      }).finally(answers.off)
      // Stopped meanwhile: the doc is destroyed, and edits made on it would go nowhere.
      if (this.d.stopped()) throw new NotRunningError(`the peer stopped while "${name}" was being opened`)
      return doc
    }).finally(() => { this.initialFetches.delete(name) })
    this.initialFetches.set(name, opening)
    return await opening
  }

  /**
   * Whether `name` exists (not deleted): held here, or — asked briefly — on a live peer, in which case its
   * state has been fetched here when `cb(null, true)` runs. Loads nothing for the app: a probe that found
   * nothing leaves nothing behind (unless a concurrent `doc(name)` opened it meanwhile, which keeps it).
   */
  locate (name: string, cb: (err: Error | null, found?: boolean, local?: boolean) => void): void {
    try {
      assertDocName(name)
    } catch (err) {
      cb(err as Error)
      return
    }
    const afterListed = (): void => {
      if (this.d.replicator.hasState(name)) {
        cb(null, !this.d.replicator.isDeleted(name), true)
        return
      }
      if (this.d.membership.aliveCount === 0) {
        const held = this.d.replicator.holds(name) && !this.d.replicator.isDeleted(name)
        // Alone but with peers to join (restarted, its seeds not answered yet): nobody was asked, so
        // "no such doc" would be a guess — a rolling restart read acknowledged docs as 404 here.
        if (!held && !this.d.nobodyToJoin()) cb(new DocUnreachableError(`no doc "${name}" here, and this peer is not in a mesh yet (no other member alive): it may exist; try again`))
        else cb(null, held)
        return
      }
      // Nothing of it here: load it and ask live peers who has it (they answer with the doc or hints of
      // hosts), wait for the first exchange, and give it up again if nothing arrived.
      const started = this.d.clock.now()
      const deadline = started + INITIAL_FETCH_WAIT_MS + HOSTED_FETCH_WAIT_MS
      const has = (): boolean => Object.keys(this.d.replicator.version(name) ?? {}).length > 0
      // "No such doc" needs evidence: every live home said it holds none of it. Silence is not absence —
      // a home busy for a second (10,000 docs being read at once) used to turn into a 404 for a doc it held.
      const answers = this.absenceOf(name)
      const { silentHomes, off: offAbsent } = answers
      const conclude = (): void => {
        offAbsent()
        // State that arrived is an answer, a tombstone too: a deleted doc's homes send it, not "none of it".
        const answered = has()
        const found = (answered || this.d.replicator.knownHosts(name).length > 0) && !this.d.replicator.isDeleted(name)
        if (!found && !this.d.replicator.isOpen(name)) this.d.replicator.release(name)
        const silent = found || answered ? [] : silentHomes()
        if (silent.length === 0) cb(null, found)
        else cb(new DocUnreachableError(`no doc "${name}" here, and ${silent.length} of its homes did not answer within ${Math.round(this.d.clock.now() - started)} ms: it may exist; try again`))
      }
      // A peer said it holds the doc, but nothing of it arrived: ask again rather than read an empty doc. The
      // exchange may have come back empty because the holders were busy exchanging it with someone else (a
      // guest handing it over). The same while a home has not answered.
      this.askUntil(name, answers.nobodyHasIt, deadline, () => has() || answers.nobodyHasIt(), (err) => {
        if (err !== null || this.d.stopped()) {
          offAbsent()
          cb(err ?? new NotRunningError(`the peer stopped while asking other peers for "${name}"`))
        } else {
          conclude()
        }
      })
    }
    this.d.replicator.whenListed(() => { afterListed() })
  }

  /**
   * The answers "I hold none of it" about `name` from now until `off()`: its live homes that have not said so
   * (`silentHomes`), and whether every one has and no other host is known (`nobodyHasIt`).
   */
  private absenceOf (name: string): { silentHomes: () => string[], nobodyHasIt: () => boolean, off: () => void } {
    const absent = new Set<string>()
    const off = this.d.replicator.on('absent', (e) => { if (e.doc === name) absent.add(e.from) })
    const silentHomes = (): string[] => this.d.replicator.liveHomes(name).filter(h => !absent.has(h))
    return { silentHomes, nobodyHasIt: () => this.d.replicator.knownHosts(name).length === 0 && silentHomes().length === 0, off }
  }

  /**
   * Calls `done` once `name` synced with a peer or changed from a remote update, or once `answered()` holds
   * after a peer said it holds none of it, or after `waitMs`.
   */
  private firstExchange (name: string, waitMs: number, done: () => void, answered?: () => boolean): void {
    let finished = false
    const finish = (): void => {
      if (finished) return
      finished = true
      this.exchanges.delete(finish)
      timer.cancel()
      offSynced()
      offChange()
      offAbsent()
      done()
    }
    const timer = this.d.clock.setTimeout(finish, waitMs)
    this.exchanges.add(finish)
    const offSynced = this.d.replicator.on('synced', (e) => { if (e.docs.includes(name)) finish() })
    const offChange = this.d.replicator.on('change', (e) => { if (e.doc === name && e.origin === 'remote') finish() })
    // Every peer that could hold it said it holds none: no need to wait out the rest of `waitMs`.
    const offAbsent = answered === undefined ? () => {} : this.d.replicator.on('absent', (e) => { if (e.doc === name && answered()) finish() })
  }

  /**
   * Before a write to a doc this peer holds nothing of — never held, or a guest copy handed to its homes and
   * dropped — fetches what the mesh holds (waiting as `doc` does: the first exchange, ≤ INITIAL_FETCH_WAIT_MS,
   * less once every live home said it holds none). Applied to an empty doc, a write was concurrent, for Yjs,
   * with every value the doc already had: a key set here lost to the value it replaced whenever the earlier
   * replica's id was the higher (test/replication/write-after-drop.sim.test.ts: 6 of 16 later writes lost).
   * Once a peer holding something of the doc started sending it (`hosted`), the wait goes on (asking again, as a read does) until its
   * state arrived, up to HOSTED_FETCH_WAIT_MS: on the 50-peer soak's busy machine a whole doc of 50,000
   * entries took longer than the first second, and the writes that waited for it were applied to nothing
   * (3 lost in one run). The wait goes on too, up to SILENT_HOME_WAIT_MS in all, while a live home this peer
   * holds a connection to has not answered at all (busy rather than cut off): homes too busy to
   * answer within the first second (a heal on the same soak's machine) saw the write applied to nothing, and
   * every write after it built on that (3 consecutive writes of one peer lost; the same test file, homes
   * handling their frames 1.5 s late: 3 of 10 docs). Bounded, never refused: if no live home is sending the
   * doc (cut off from every peer that has it), the write is applied after the first wait, or after
   * SILENT_HOME_WAIT_MS while a connected home is silent; once one is sending it, after the longer wait.
   * `then(blind)`: blind when the write is applied to nothing while a peer may hold the doc (silent or cut-off
   * homes, or alone among members it knows of): mesh-node.ts then watches its keys (blind-writes.ts).
   */
  caughtUpForWrite (name: string, then: (blind: boolean) => void): void {
    if (this.d.stopped() || this.d.replicator.hasState(name) || this.d.membership.aliveCount === 0 || !this.d.replicator.isRunning || !validName(name)) {
      // Nothing to fetch, or the write refuses (a stopping peer, an invalid name) with its own error. Alone
      // among members it knows of (cut off from all): applied blind.
      then(!this.d.replicator.hasState(name) && this.d.membership.aliveCount === 0 && this.d.membership.members().some(m => m.id !== this.d.id && m.state !== MemberState.left))
      return
    }
    const waiting = this.writeFetches.get(name)
    if (waiting !== undefined) {
      waiting.push(then)
      return
    }
    const writes = [then]
    this.writeFetches.set(name, writes)
    const answers = this.absenceOf(name)
    let hosted = false
    // Peers that sent their step 1 (holding something, or the doc empty): with "none of it", an answer.
    const stepped = new Set<string>()
    const offHosted = this.d.replicator.on('hosted', (e) => {
      if (e.doc !== name) return
      stepped.add(e.from)
      if (!e.empty) hosted = true
    })
    // A live home that has not answered at all while we hold a connection to it: busy, not cut off.
    const homeSilent = (): boolean => answers.silentHomes().some(h => !stepped.has(h) && this.d.replicator.isConnected(h))
    const started = this.d.clock.now()
    const deadline = started + INITIAL_FETCH_WAIT_MS + HOSTED_FETCH_WAIT_MS
    const done = (): void => {
      answers.off()
      offHosted()
      this.writeFetches.delete(name)
      // Applied to nothing while someone may hold the doc (silent or cut off homes): blind (blind-writes.ts).
      const blind = !this.d.replicator.hasState(name) && !answers.nobodyHasIt()
      for (const w of writes) w(blind)
    }
    // Done once state arrived, or nobody is sending any and every connected live home answered (or
    // SILENT_HOME_WAIT_MS passed); a store failure is met and reported by the write.
    const settled = (): boolean => this.d.replicator.hasState(name) || answers.nobodyHasIt() ||
      (!hosted && (!homeSilent() || this.d.clock.now() - started >= SILENT_HOME_WAIT_MS))
    this.askUntil(name, answers.nobodyHasIt, deadline, settled, done)
  }

  /**
   * Asks live peers for `name` (loading it) and waits for the first exchange (`firstExchange`, `answered`
   * ending it early), then again after a short pause, until `settled()`, `deadline`, or the peer stopping.
   * `end(err)`: err only when the store could not load the doc.
   */
  private askUntil (name: string, answered: () => boolean, deadline: number, settled: () => boolean, end: (err: Error | null) => void): void {
    const ask = (waitMs: number): void => {
      this.d.replicator.refetch(name, (err) => {
        if (err !== null) {
          end(err)
          return
        }
        this.firstExchange(name, waitMs, () => {
          const left = deadline - this.d.clock.now()
          if (this.d.stopped() || settled() || left <= REFETCH_PAUSE_MS) {
            end(null)
            return
          }
          // A wait `stop` ends too: the next ask then finds replication stopped.
          const again = (): void => {
            this.exchanges.delete(again)
            pause.cancel()
            ask(Math.min(left - REFETCH_PAUSE_MS, INITIAL_FETCH_WAIT_MS))
          }
          const pause = this.d.clock.setTimeout(again, REFETCH_PAUSE_MS)
          this.exchanges.add(again)
        }, answered)
      })
    }
    ask(INITIAL_FETCH_WAIT_MS)
  }
}

function validName (name: string): boolean {
  try {
    assertDocName(name)
    return true
  } catch {
    return false
  }
}
