/** Shared by the operator-CLI tests. */
import { runOperator } from '../../src/cli/operator.js'

export interface OperatorRun { status: number, stdout: string, stderr: string }

/** `murmur <args>` in-process, with no address or token from the environment but `env`'s; what it printed and its exit status. */
export async function murmur (args: string[], interrupted: AbortSignal = new AbortController().signal, env: Readonly<Record<string, string>> = {}): Promise<OperatorRun> {
  let stdout = ''
  let stderr = ''
  const status = await runOperator(args, { env: { MURMUR_HTTP_ADDR: '', MURMUR_HTTP_TOKEN: '', ...env }, out: (t) => { stdout += t }, err: (t) => { stderr += t }, interrupted })
  return { status, stdout, stderr }
}
