/**
 * `murmur help <command>` as `murmur <command> --help`: its own module so that `murmur agent` (a peer)
 * reads it without loading the operator's commands and HTTP client (issue 11: an idle peer's memory).
 */

/** `murmur help <command>` is `murmur <command> --help`; any other command line is returned as it is. */
export function helpAsFlag (argv: readonly string[]): readonly string[] {
  return argv.length === 2 && argv[0] === 'help' ? [argv[1] as string, '--help'] : argv
}
