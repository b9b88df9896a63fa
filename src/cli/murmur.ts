/**
 * `murmur <command>`: the operator's command line, in the style of Serf's. `murmur agent` runs a peer
 * (the same process as `node dist/peer.js`, loaded only for that command); the other commands talk to a
 * running agent's HTTP API (operator.ts, commands.ts), loaded only for them: an agent is a peer, and holds
 * no more than `node dist/peer.js` does (issue 11).
 */
import { MURMUR_VERSION } from '../version.js'
import { peerHelp } from './args.js'
import { holdStopSignals } from './early-signals.js'
import { helpAsFlag } from './help-flag.js'
import { flushed, guardOutput } from './output.js'

const [command, ...rest] = helpAsFlag(process.argv.slice(2))
if (command === 'agent') {
  // As dist/peer.js does: a SIGTERM while the peer's modules load is a clean stop once it runs.
  holdStopSignals()
  const { runPeerCli } = await import('./run-peer.js')
  await runPeerCli(rest, process.env, { help: peerHelp('murmur agent'), version: `murmur ${MURMUR_VERSION}` })
} else {
  const { runOperator } = await import('./operator.js')
  const interrupt = new AbortController()
  process.once('SIGINT', () => { interrupt.abort() })
  process.once('SIGTERM', () => { interrupt.abort() })
  // The reader went away (`murmur monitor | head -1`): end quietly, as SIGPIPE ends other programs,
  // not with an unhandled EPIPE and its stack trace at the next event. Any other failure (ENOSPC: a
  // full disk) ends the command too, and is one line and exit 1 below.
  process.stdout.on('error', () => { interrupt.abort() })
  guardOutput(process.stderr)
  process.exitCode = await runOperator(process.argv.slice(2), {
    env: process.env,
    out: (text) => { if (!process.stdout.destroyed) process.stdout.write(text) },
    err: (text) => { if (!process.stderr.destroyed) process.stderr.write(text) },
    interrupted: interrupt.signal
  })
  const failed = await flushed(process.stdout)
  if (failed !== undefined && failed !== 'EPIPE') {
    process.stderr.write(`murmur: cannot write to stdout: ${failed}\n`)
    process.exitCode = 1
  }
}
