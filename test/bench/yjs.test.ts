/**
 * `npm run bench -- yjs` stopped (SIGTERM, or Ctrl-C) while its murmur peers are starting: those are
 * stopped too and their data dirs are gone — no peer left running, nothing left in the temp dir. (spawnPeer's
 * own temp dirs are removed only by an awaited cleanup, which a signal's exit never reaches.)
 */
import { describe, test } from 'vitest'
import { expectCleanStopWhileStarting } from './helpers.js'

describe('yjs bench teardown', () => {
  // The first peer, then the other three at once: signalled while those start.
  test('SIGTERM while the murmur peers start: every peer stopped, exit 143, their data dirs removed', async () => {
    await expectCleanStopWhileStarting('yjs', 3)
  }, 60_000)
})
