/**
 * `npm run bench -- hostile` stopped (SIGTERM, or Ctrl-C) while its honest peers are still starting: those
 * are stopped too and its temp dirs are gone — no peer left running, nothing left in the temp dir. (The
 * peers a benchmark has not got back from spawnPeer yet are in no teardown list of their own.)
 */
import { describe, test } from 'vitest'
import { expectCleanStopWhileStarting } from './helpers.js'

describe('hostile bench teardown', () => {
  // The seed, then the other four at once: signalled while those start.
  test('SIGTERM while the honest peers start: every peer stopped, exit 143, its temp dirs removed', async () => {
    await expectCleanStopWhileStarting('hostile', 3)
  }, 60_000)
})
