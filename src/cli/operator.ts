/**
 * `murmur <command>` for every command but `agent`: help, version, and the operator commands of
 * commands.ts, with their exit codes — 0 done, 1 the agent refused or could not be reached (or a file
 * was refused), 2 a usage error. No process globals: the entry point (murmur.ts) passes its streams,
 * environment and Ctrl-C signal, so tests run the same code in-process.
 */
import { ConfigError } from '../core/errors.js'
import { terminalSafe } from '../core/terminal-safe.js'
import { MURMUR_VERSION } from '../version.js'
import { AddressUsageError, AgentError } from './client.js'
import { COMMANDS, UsageError } from './commands.js'
import { helpAsFlag } from './help-flag.js'
import type { CommandIo } from './commands.js'

/** The options every command that talks to an agent takes: in `murmur --help` and each such command's help. */
const AGENT_OPTIONS_HELP = `Options of the commands that talk to an agent:
  --http-addr <[http(s)://]host:port>     the agent's HTTP API (or MURMUR_HTTP_ADDR; default: the address a
                                          local agent records in <data-dir>/http-addr)
  --data-dir <dir>                        where that local agent runs (default .murmur, or MURMUR_DATA_DIR)
  --http-token-file <file>                its bearer token (or MURMUR_HTTP_TOKEN, MURMUR_HTTP_TOKEN_FILE)
`

export const MURMUR_HELP = `Usage: murmur <command> [options]

Commands:
  agent                                   run a peer (the flags of node dist/peer.js: murmur agent --help)
${Object.values(COMMANDS).map(c => c.usage.length < 38 ? `  ${c.usage.padEnd(38)}  ${c.summary}` : `  ${c.usage}\n  ${''.padEnd(38)}  ${c.summary}`).join('\n')}

${AGENT_OPTIONS_HELP}
HTTPS with a private CA: NODE_EXTRA_CA_CERTS=<ca.pem>. Exit codes: 0 done, 1 the agent refused or could
not be reached, 2 usage error.

  murmur --version                        show the version
`

export { helpAsFlag }

export interface OperatorIo extends CommandIo {
  /** One line per failure, `murmur: …`. */
  err: (text: string) => void
}


/** Runs `argv` (without `agent`); resolves with the exit code. */
export async function runOperator (argv: readonly string[], io: OperatorIo): Promise<number> {
  const [command, ...rest] = argv
  const fail = (message: string, code: number): number => {
    // terminalSafe: an agent's error text (or whatever answers at the address) reaches the terminal here.
    io.err(`murmur: ${terminalSafe(message.split('\n')[0] ?? message)}\n`)
    return code
  }
  // No command is a usage error (exit 2, the usage on stderr, as git and Serf do): a script whose
  // command came out empty fails instead of printing help and passing. Help asked for is stdout, exit 0.
  if (command === undefined) {
    io.err(MURMUR_HELP)
    return 2
  }
  if (command === '--help' || command === '-h' || (command === 'help' && rest.length === 0)) {
    io.out(MURMUR_HELP)
    return 0
  }
  if (command === 'help') {
    if (rest.length > 1) return fail('usage: murmur help [command]', 2)
    return await runOperator(helpAsFlag(argv), io)
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    io.out(`murmur ${MURMUR_VERSION}\n`)
    return 0
  }
  const cmd = COMMANDS[command]
  // `murmur --http-addr X members`, as `git -C dir` or `kubectl --context` take theirs: said as
  // `unknown command "--http-addr"`, which left the operator to guess that the order was wrong.
  if (cmd === undefined && command.startsWith('-')) return fail(`${JSON.stringify(command.slice(0, 40))} is an option, not a command: the command comes first, its options after it (murmur members --http-addr <host:port>, murmur agent --listen <multiaddr>; see murmur --help)`, 2)
  if (cmd === undefined) return fail(`unknown command ${JSON.stringify(command.slice(0, 40))} (see murmur --help)`, 2)
  const flags = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest
  if (flags.includes('--help') || flags.includes('-h')) {
    const agentFlags = cmd.local === true ? '' : `\n${AGENT_OPTIONS_HELP}`
    io.out(`Usage: murmur ${cmd.usage}\n\n${cmd.summary[0]?.toUpperCase() ?? ''}${cmd.summary.slice(1)}.\n${agentFlags}`)
    return 0
  }
  try {
    return (await cmd.run(rest, io)) ?? 0
  } catch (err) {
    if (err instanceof UsageError) return fail(err.message.startsWith(command) ? err.message : `${command}: ${err.message}`, 2)
    if (err instanceof AddressUsageError) return fail(err.message, 2)
    if (err instanceof AgentError || err instanceof ConfigError) return fail(err.message, 1)
    throw err
  }
}
