/**
 * Who we talk to: fault-injection blocks (`/admin/partition`), the optional allowlist, and flood
 * cooldowns. One verdict function, consulted by the connection gater (dials and inbound connections),
 * by the inbound stream handler and per frame — so a connection that slipped through before a block
 * (libp2p: after `hangUp` the remote may reuse its end for a moment) still delivers nothing.
 */
export type PeerVerdict = 'ok' | 'blocked' | 'unauthorized' | 'cooldown'

/** Bound on remembered cooldowns (one entry per flooder); oldest forgotten first beyond it. */
const MAX_COOLDOWNS = 4096

export class PeerPolicy {
  private readonly blocked = new Set<string>()
  private readonly cooldowns = new Map<string, number>()

  constructor (
    private allow: ReadonlySet<string> | undefined,
    private readonly now: () => number
  ) {}

  /** Replaces the allowlist (undefined: everyone). */
  setAllow (ids: ReadonlySet<string> | undefined): void {
    this.allow = ids
  }

  verdict (id: string): PeerVerdict {
    if (this.blocked.has(id)) return 'blocked'
    if (this.allow !== undefined && !this.allow.has(id)) return 'unauthorized'
    const until = this.cooldowns.get(id)
    if (until !== undefined) {
      if (this.now() < until) return 'cooldown'
      this.cooldowns.delete(id)
    }
    return 'ok'
  }

  /** Adds `ids` to the blocked set (additive: repeated partitions accumulate until `unblock`). */
  block (ids: Iterable<string>): void {
    for (const id of ids) this.blocked.add(id)
  }

  /** Removes `ids` from the blocked set, or everyone if omitted. */
  unblock (ids?: Iterable<string>): void {
    if (ids === undefined) {
      this.blocked.clear()
      return
    }
    for (const id of ids) this.blocked.delete(id)
  }

  blockedIds (): string[] {
    return [...this.blocked]
  }

  /** Refuses `id` for `ms` (a disconnected flooder). */
  coolDown (id: string, ms: number): void {
    if (this.cooldowns.size >= MAX_COOLDOWNS) {
      const oldest = this.cooldowns.keys().next().value
      if (oldest !== undefined) this.cooldowns.delete(oldest)
    }
    this.cooldowns.set(id, this.now() + ms)
  }
}
