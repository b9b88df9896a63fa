/**
 * Yjs clients: the y-websocket protocol on every peer (`ws://host:port/yjs/<doc>`), so unmodified
 * y-websocket providers edit replicated documents through any peer and share presence across the mesh.
 */
export { YjsBridge, YJS_PATH_PREFIX } from './bridge.js'
export type { YjsBridgeOptions } from './bridge.js'
export { DEFAULT_YJS, resolveYjsConfig } from './config.js'
export type { YjsConfig, YjsInit } from './config.js'
export { CloseCode } from './close-codes.js'
export type { CloseCodeName } from './close-codes.js'
export { upgradeRefusal } from './auth.js'
export type { UpgradeCheck, UpgradeRefusal } from './auth.js'
export type { YjsStats } from './stats.js'
export { registerYjsMetrics } from './metrics.js'
