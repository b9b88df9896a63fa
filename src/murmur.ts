#!/usr/bin/env node
/**
 * Entry point of the `murmur` command (the package's bin). Like dist/peer.js it checks the Node version
 * before anything imports libp2p, then loads the real command-line interface.
 */
const MIN_MAJOR = 22
const major = Number(process.versions.node.split('.')[0])
if (major < MIN_MAJOR) {
  process.stderr.write(`murmur: Node ${process.version} is too old; murmur needs Node ${MIN_MAJOR} or newer\n`)
  process.exit(1)
}
await import('./cli/murmur.js')
export {}
