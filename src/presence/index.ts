/**
 * Presence: ephemeral state shared over the mesh and never persisted — the Yjs awareness of clients
 * connected to any peer, and views of the mesh for `/mesh`. Transport-free (runs in the simulator).
 */
export { Presence } from './presence.js'
export type { PresenceComponents } from './presence.js'
export { DocPresence, TooManyPresenceDocsError } from './doc-presence.js'
export type { PresenceDirectory, PresenceState, DocPresenceEvents } from './doc-presence.js'
export { MeshViews, fitView, HTTP_TAG } from './views.js'
export { PresenceTable } from './table.js'
export type { PresenceChange } from './table.js'
export { DEFAULT_PRESENCE, resolvePresenceConfig } from './config.js'
export type { PresenceConfig, PresenceInit } from './config.js'
export { PRESENCE_LIMITS, MAX_CLIENT_ID, checkStateJson, decodePresence, encodePresence } from './codec.js'
export type { AwarenessEntry, MeshView, MemberViewEntry, DocViewEntry, MemberStateName, PresenceMessage } from './codec.js'
export type { PresenceStats } from './stats.js'
export { presenceDirectory } from './membership-directory.js'
