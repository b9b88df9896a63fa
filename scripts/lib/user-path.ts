/**
 * A path the user typed, resolved where the user typed it. npm runs a package's scripts in the package's
 * root whatever directory `npm run` was called from, and says where that was in INIT_CWD: a relative
 * `--dir logs` typed in a subdirectory (or anywhere inside the checkout) means that directory's `logs`,
 * not the checkout root's. Run directly with `node`, the working directory is the user's already.
 */
import path from 'node:path'

export function userPath (typed: string, env: NodeJS.ProcessEnv = process.env): string {
  const typedIn = env.npm_lifecycle_event !== undefined && env.INIT_CWD !== undefined && env.INIT_CWD !== '' ? env.INIT_CWD : process.cwd()
  return path.resolve(typedIn, typed)
}
