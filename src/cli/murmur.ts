/**
 * `murmur <command>`: the operator's command line, in the style of Serf's. `murmur agent` runs a peer
 * (the same process as `node dist/peer.js`, loaded only for that command); the others talk to a running
 * agent's HTTP API (commands.ts).
 */
import { MURMUR_VERSION } from '../version.js'
import { HELP as AGENT_HELP } from './args.js'
import { COMMANDS, UsageError } from './commands.js'

export const MURMUR_HELP = `Usage: murmur <command> [options]

Commands:
  agent                                   run a peer (the flags of node dist/peer.js: murmur agent --help)
${Object.values(COMMANDS).map(c => c.usage.length < 38 ? `  ${c.usage.padEnd(38)}  ${c.summary}` : `  ${c.usage}\n  ${''.padEnd(38)}  ${c.summary}`).join('\n')}

Options of the commands that talk to an agent:
  --http-addr <[http(s)://]host:port>     the agent's HTTP API (or MURMUR_HTTP_ADDR; default: the address a
                                          local agent records in <data-dir>/http-addr)
  --data-dir <dir>                        where that local agent runs (default .murmur, or MURMUR_DATA_DIR)
  --http-token-file <file>                its bearer token (or MURMUR_HTTP_TOKEN, MURMUR_HTTP_TOKEN_FILE)

HTTPS with a private CA: NODE_EXTRA_CA_CERTS=<ca.pem>. Exit codes: 0 done, 1 the agent refused or could
not be reached, 2 usage error.

  murmur --version                        show the version
`

function fail (message: string, code: number): never {
  process.stderr.write(`murmur: ${message.split('\n')[0] ?? message}\n`)
  process.exit(code)
}

const [command, ...rest] = process.argv.slice(2)
if (command === 'agent') {
  const { runPeerCli } = await import('./run-peer.js')
  await runPeerCli(rest, process.env, { help: AGENT_HELP.replace('Usage: node dist/peer.js', 'Usage: murmur agent'), version: `murmur ${MURMUR_VERSION}` })
} else if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
  process.stdout.write(MURMUR_HELP)
} else if (command === '--version' || command === '-v' || command === 'version') {
  process.stdout.write(`murmur ${MURMUR_VERSION}\n`)
} else {
  const cmd = COMMANDS[command]
  if (cmd === undefined) fail(`unknown command ${JSON.stringify(command.slice(0, 40))} (see murmur --help)`, 2)
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`Usage: murmur ${cmd.usage}\n\n${cmd.summary[0]?.toUpperCase() ?? ''}${cmd.summary.slice(1)}.\n`)
    process.exit(0)
  }
  const interrupt = new AbortController()
  process.once('SIGINT', () => { interrupt.abort() })
  process.once('SIGTERM', () => { interrupt.abort() })
  try {
    const code = await cmd.run(rest, { env: process.env, out: (text) => { process.stdout.write(text) }, interrupted: interrupt.signal })
    process.exitCode = code ?? 0
  } catch (err) {
    if (err instanceof UsageError) fail(err.message.startsWith(command) ? err.message : `${command}: ${err.message}`, 2)
    const name = err instanceof Error ? err.name : ''
    if (name === 'AgentError' || name === 'ConfigError' || name === 'InsecureFileError') fail(err instanceof Error ? err.message : String(err), 1)
    throw err
  }
}
