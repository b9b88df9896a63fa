#!/usr/bin/env node
/**
 * Entry point of `node dist/peer.js`. Kept tiny on purpose: it checks the Node version before anything
 * imports libp2p (static imports are hoisted; on Node < 22 libp2p starts and then dies in the first
 * handshake with a bare ECONNRESET), then loads the real CLI.
 */
import { holdStopSignals } from './cli/early-signals.js'
import { refuseOldNode } from './node-guard.js'

// First: a SIGTERM while the CLI loads is a clean stop once it runs (early-signals.ts), not exit 143.
holdStopSignals()
refuseOldNode()
await import('./cli/main.js')
export {}
