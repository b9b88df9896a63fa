/**
 * The exit code of a run stopped by `signal`: 128 + its number, as a shell reports a process the signal
 * killed (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP) — so a caller can tell a timeout's SIGTERM from a Ctrl-C.
 */
import { constants } from 'node:os'

export function signalExitCode (signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal]
}
