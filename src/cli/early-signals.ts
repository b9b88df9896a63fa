/**
 * SIGINT and SIGTERM that arrive before a peer process has installed its own handlers. The handlers of
 * run-peer.ts (a stop during start-up is deferred, then a clean leave and exit 0) come only after the CLI's
 * modules are loaded and its flags parsed: a SIGTERM in the first ~100 ms (a supervisor stopping what it just
 * started, a test harness) met Node's default action, exit 143 with nothing logged. The entry point holds
 * them from its first statement; run-peer.ts takes what arrived and stops as for a later one.
 *
 * SIGHUP too: its default action ends the process (exit 129), and run-peer.ts's own holder of a SIGHUP during
 * start-up came only after the modules loaded and the flags (a --config pipe) were read, so a `systemctl
 * reload` right after `start` killed the peer. It is remembered here and reloaded once the peer runs.
 */

let held: NodeJS.Signals | undefined
let holding = false
let hupHeld = false
let holdingHup = false

function onHup (): void {
  hupHeld = true
}

function onSignal (signal: NodeJS.Signals): void {
  if (held === undefined) {
    held = signal
    return
  }
  // A second one while nothing can stop cleanly yet: the default action, as a second signal during start-up.
  release()
  process.kill(process.pid, signal)
}

function release (): void {
  holding = false
  process.off('SIGINT', onSignal)
  process.off('SIGTERM', onSignal)
}

/**
 * Remembers SIGINT and SIGTERM from now on, until takeHeldStop (the first; a second one kills at once), and
 * SIGHUP until takeHeldHup.
 */
export function holdStopSignals (): void {
  if (!holdingHup) {
    holdingHup = true
    process.on('SIGHUP', onHup)
  }
  if (holding) return
  holding = true
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

/** Stops holding SIGHUP (call once another handler of it is in place): whether one arrived meanwhile. */
export function takeHeldHup (): boolean {
  holdingHup = false
  process.off('SIGHUP', onHup)
  const arrived = hupHeld
  hupHeld = false
  return arrived
}

/** Stops holding (call once the peer's own handlers are in place); the signal that arrived meanwhile, if any. */
export function takeHeldStop (): NodeJS.Signals | undefined {
  release()
  const signal = held
  held = undefined
  return signal
}
