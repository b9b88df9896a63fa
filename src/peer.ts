#!/usr/bin/env node
/**
 * Entry point of `node dist/peer.js`. Kept tiny on purpose: it checks the Node version before anything
 * imports libp2p (static imports are hoisted; on Node < 22 libp2p starts and then dies in the first
 * handshake with a bare ECONNRESET), then loads the real CLI.
 */
const MIN_MAJOR = 22
const major = Number(process.versions.node.split('.')[0])
if (major < MIN_MAJOR) {
  process.stderr.write(`murmur: Node ${process.version} is too old; murmur needs Node ${MIN_MAJOR} or newer (after npm install, npm start and npm test use the Node 22 in node_modules/.bin; or run node_modules/.bin/node dist/peer.js)\n`)
  process.exit(1)
}
await import('./cli/main.js')
export {}
