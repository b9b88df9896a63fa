#!/usr/bin/env node
/**
 * Entry point of the `murmur` command (the package's bin). Like dist/peer.js it checks the Node version
 * before anything imports libp2p, then loads the real command-line interface.
 */
import { refuseOldNode } from './node-guard.js'

refuseOldNode()
await import('./cli/murmur.js')
export {}
