/**
 * `node dist/peer.js` (and `murmur agent`): a peer process. Everything is in run-peer.ts, shared with the
 * example app; this file only says which help (naming the command as it was run: `murmur-peer`, the
 * package's bin, or `node dist/peer.js`) and version to print.
 */
import { MURMUR_VERSION } from '../version.js'
import { invokedAs, peerHelp } from './args.js'
import { runPeerCli } from './run-peer.js'

await runPeerCli(process.argv.slice(2), process.env, { help: peerHelp(invokedAs(process.argv[1], process.cwd())), version: `murmur ${MURMUR_VERSION}` })
