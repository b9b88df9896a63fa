/**
 * Where the checkout and its build are, with no import of dist/ itself: an entry script checks the build
 * is there (requireBuild) before it loads anything that imports dist/. A static import of a missing
 * dist/ module fails before any line of the script runs, as an ERR_MODULE_NOT_FOUND stack trace.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const PEER_JS = path.join(ROOT, 'dist', 'peer.js')
/** The project's Node 22 (the `node` devDependency), whatever Node runs the test runner. */
export const NODE = existsSync(path.join(ROOT, 'node_modules', '.bin', 'node')) ? path.join(ROOT, 'node_modules', '.bin', 'node') : process.execPath

/**
 * Exits 1 with one line when dist/ is not built (a fresh checkout run with `node scripts/…` rather than
 * through npm, whose entries build first). `npmCommand` is the npm command that builds and runs `tool`.
 */
export function requireBuild (tool: string, npmCommand: string): void {
  const missing = ['index.js', 'peer.js'].filter(f => !existsSync(path.join(ROOT, 'dist', f)))
  if (missing.length === 0) return
  process.stderr.write(`${tool}: dist/ is not built (no dist/${missing.join(', dist/')}): run \`npm run build\` first, or \`${npmCommand}\`, which builds before it runs\n`)
  process.exit(1)
}
