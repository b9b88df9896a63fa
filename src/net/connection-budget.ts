/**
 * The connection budget. N = 1,000 must work without a full mesh, so a peer keeps at most
 * `maxConnections` connections. Overflow: when a new connection takes us above the cap, the
 * least-recently-used peers are disconnected until we are back at it — never a peer with frames queued or
 * being written (its connection is about to be used) and never one connected in the last moment (the
 * connection that pushed us over is wanted by someone). Those exceptions may hold us above the cap
 * briefly; libp2p's own cap, a little higher (LIBP2P_CONNECTION_HEADROOM), is the hard stop.
 */

export interface ConnectedPeer {
  id: string
  /** Open connections to this peer. */
  connections: number
  /** Wall-clock ms when its newest connection opened. */
  newestOpenedAt: number
  /** Last frame sent to or received from it (monotonic ms), or undefined if none yet. */
  lastActivity: number | undefined
  busy: boolean
}

/** The peers to disconnect, least recently used first. `graceMs`: a connection this young is kept. */
export function peersToPrune (peers: readonly ConnectedPeer[], maxConnections: number, wallNow: number, graceMs: number): string[] {
  let total = peers.reduce((n, p) => n + p.connections, 0)
  if (total <= maxConnections) return []
  const candidates = peers
    .filter(p => !p.busy && wallNow - p.newestOpenedAt >= graceMs)
    .sort((a, b) => (a.lastActivity ?? -Infinity) - (b.lastActivity ?? -Infinity))
  const out: string[] = []
  for (const p of candidates) {
    if (total <= maxConnections) break
    out.push(p.id)
    total -= p.connections
  }
  return out
}
