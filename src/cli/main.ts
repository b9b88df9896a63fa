/**
 * `node dist/peer.js` (and `murmur agent`): a peer process. Everything is in run-peer.ts, shared with the
 * example app; this file only says which help and version to print.
 */
import { MURMUR_VERSION } from '../version.js'
import { HELP } from './args.js'
import { runPeerCli } from './run-peer.js'

await runPeerCli(process.argv.slice(2), process.env, { help: HELP, version: `murmur ${MURMUR_VERSION}` })
