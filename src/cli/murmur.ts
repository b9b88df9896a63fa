/**
 * `murmur <command>`: the operator's command line, in the style of Serf's. `murmur agent` runs a peer
 * (the same process as `node dist/peer.js`).
 */
import { MURMUR_VERSION } from '../version.js'
import { HELP as AGENT_HELP } from './args.js'
import { fatal, runPeerCli } from './run-peer.js'

export const MURMUR_HELP = `Usage: murmur <command> [options]

Commands:
  agent       run a peer (the flags of node dist/peer.js; murmur agent --help)

  murmur --version    show the version
`

const [command, ...rest] = process.argv.slice(2)
switch (command) {
  case 'agent':
    await runPeerCli(rest, process.env, { help: AGENT_HELP.replace('Usage: node dist/peer.js', 'Usage: murmur agent'), version: `murmur ${MURMUR_VERSION}` })
    break
  case undefined: case '--help': case '-h': case 'help':
    process.stdout.write(MURMUR_HELP)
    break
  case '--version': case '-v': case 'version':
    process.stdout.write(`murmur ${MURMUR_VERSION}\n`)
    break
  default:
    fatal(`unknown command ${JSON.stringify(command)} (see murmur --help)`, 2)
}
