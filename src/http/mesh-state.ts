/**
 * What `GET /mesh/state` answers: one entry per peer with its view. Shared by the server (mesh.ts) and the
 * page (web/mesh/mesh.ts), so it imports nothing.
 */

/** One peer's view as the page shows it. */
export interface MeshPeerState {
  peerId: string
  name: string
  /** Where the view came from: this peer, a request over the mesh, the peer's HTTP API, or nowhere (last known). */
  source: 'self' | 'mesh' | 'http' | 'unreachable'
  http: string | null
  /** Wall-clock ms when the view was taken. */
  at: number
  members: Array<{ peerId: string, name: string, state: string, incarnation: number }>
  docs: Array<{ name: string, digest: string }>
  /** Peers it blocks (fault injection); null if unknown. */
  blocked: string[] | null
}

export interface MeshState {
  self: string
  now: number
  faultInjection: boolean
  peers: MeshPeerState[]
}
