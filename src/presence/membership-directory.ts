/**
 * Membership as presence sees it: who is alive and how to reach them (as for replication), plus when a
 * member is declared dead or left — its clients' states go with it.
 */
import type { Membership } from '../membership/index.js'
import type { PresenceDirectory } from './doc-presence.js'

export function presenceDirectory (m: Membership): PresenceDirectory {
  return {
    alivePeers: () => m.alivePeers().map(info => info.id),
    addressesOf: (id) => m.member(id)?.addrs ?? [],
    onPeerAlive: (listener) => {
      const offs = [m.on('alive', (info) => { listener(info.id) }), m.on('joined', (info) => { listener(info.id) })]
      return () => { for (const off of offs) off() }
    },
    onPeerGone: (listener) => {
      const offs = [m.on('dead', (info) => { listener(info.id) }), m.on('left', (info) => { listener(info.id) })]
      return () => { for (const off of offs) off() }
    }
  }
}
