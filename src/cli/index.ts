/**
 * `murmur/cli`: the pieces of murmur's command line for programs that run a peer process of their own
 * (the example app does): flag parsing, the peer-process runner with its banner and shutdown, secrets.
 * Importing this module runs nothing.
 */
export { parseArgs, HELP as PEER_HELP, peerHelp, DEFAULT_LISTEN, DEFAULT_DATA_DIR } from './args.js'
export type { PeerCliOptions, ParsedArgs, PeerEnv } from './args.js'
export { runPeerCli, installShutdown, describeError, fatal, SHUTDOWN_DEADLINE_MS } from './run-peer.js'
export type { PeerApp, PeerAppContext, RunPeerInit, ShutdownServing } from './run-peer.js'
export { formatBanner, parseBanner } from './banner.js'
export type { BannerInfo, ParsedBanner } from './banner.js'
export { loadCliSecrets, startupWarnings } from './secrets.js'
export type { CliSecrets } from './secrets.js'
export { MURMUR_VERSION } from '../version.js'
