/**
 * Before a graceful leave: make sure no doc is left only on this peer. A peer cut off from a doc's homes
 * keeps what it is written (hinted handoff) and hands it over once the homes are reachable again, a tick or
 * two after the heal; a peer asked to leave in that window (a scale-down right after a network blip) took
 * the only copies of acknowledged writes with it — 30 of 30 written during a partition, on real processes.
 *
 * So every held doc is listed (a handoff round, anti-entropy.ts) to the peers that will home it once this
 * one is gone: its preference list without this peer, top R. Listing costs a few bytes per doc to a home
 * that already holds the same state; one that lacks it takes the diff. The wait — bounded — ends once each
 * doc is confirmed by at least one of them (durably, if this peer's store is durable): then it is not the
 * only copy, and the others get it by rebalancing after the leave. What is still unconfirmed at the bound is
 * returned, for the caller to say so.
 */
import { aliveSet } from './alive-set.js'
import type { Clock } from '../core/clock.js'
import type { PeerDirectory } from '../core/directory.js'
import type { PeerId } from '../core/transport.js'
import type { AntiEntropy, Listed } from './anti-entropy.js'
import type { DocCatalog } from './catalog.js'
import type { Confirmations } from './confirmations.js'
import type { Placement } from './placement.js'
import { WIRE_DIGEST_BYTES } from './version-vector.js'

export interface LeaveHandoffOptions {
  localId: PeerId
  placement: Placement
  catalog: DocCatalog
  confirmations: Confirmations
  antiEntropy: AntiEntropy
  peers: PeerDirectory
  clock: Clock
  /** This peer's store is durable: only durable confirmations count. */
  durable: boolean
  /** Docs listed to one peer per round at most. */
  maxDocsPerRound: number
}

/** How often the wait looks at the confirmations and lists what is still unconfirmed anew. */
const RECHECK_MS = 100

/** Hands every held doc over before a leave; calls back, within `timeoutMs`, with the docs still unconfirmed. */
export function handOffBeforeLeaving (o: LeaveHandoffOptions, timeoutMs: number, cb: (unconfirmed: string[]) => void): void {
  const deadline = o.clock.now() + timeoutMs
  const alive = aliveSet(o.peers)
  // The homes each doc will have without this peer, among the peers alive now (computed once).
  const pending = new Map<string, PeerId[]>()
  // Docs none of whose future homes is alive: nobody can take them now.
  const stranded: string[] = []
  for (const e of o.catalog.values()) {
    const after = o.placement.preferenceList(e.name).filter(p => p !== o.localId).slice(0, o.placement.replicas).filter(p => alive.has(p))
    if (after.length > 0) pending.set(e.name, after)
    else stranded.push(e.name)
  }
  const round = (): void => {
    const perPeer = new Map<PeerId, Listed[]>()
    const underWay = new Map<PeerId, ReadonlySet<string>>()
    for (const [doc, homes] of pending) {
      const digest = o.catalog.get(doc)?.meta?.digest
      if (digest === undefined) {
        if (!o.catalog.has(doc)) pending.delete(doc) // dropped meanwhile
        continue
      }
      if (homes.some(h => o.confirmations.holds(doc, h, digest, o.durable))) {
        pending.delete(doc)
        continue
      }
      for (const h of homes) {
        let list = perPeer.get(h)
        if (list === undefined) perPeer.set(h, list = [])
        let inRound = underWay.get(h)
        if (inRound === undefined) underWay.set(h, inRound = o.antiEntropy.handingOver(h))
        if (list.length < o.maxDocsPerRound && !inRound.has(doc)) list.push({ name: doc, digest: digest.subarray(0, WIRE_DIGEST_BYTES) })
      }
    }
    if (pending.size === 0 || o.clock.now() >= deadline) {
      cb([...stranded, ...pending.keys()])
      return
    }
    for (const [peer, items] of perPeer) o.antiEntropy.startHandoff(peer, items)
    o.clock.setTimeout(round, Math.min(RECHECK_MS, Math.max(0, deadline - o.clock.now())))
  }
  round()
}
