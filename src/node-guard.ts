/**
 * The Node version check of the entry points (dist/peer.js, dist/murmur.js), imported before anything
 * imports libp2p: on Node < 22, libp2p starts and then dies in the first handshake with a bare ECONNRESET.
 * Nothing here may need a newer Node than the one it refuses.
 *
 * The hint depends on where the entry point runs from: a checkout after `npm install` has its own Node 22 in
 * node_modules/.bin (the `node` dev dependency), so it names that; an installed package (`npx murmur-peer`,
 * `npm install -g murmur`) has none, and the line says to install one rather than point at a path that
 * does not exist.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const MIN_MAJOR = 22

/** The line an older Node gets, or undefined on a Node that is new enough. */
export function oldNodeProblem (version: string, ownNode: string | undefined, script: string | undefined): string | undefined {
  if (Number(version.replace(/^v/, '').split('.')[0]) >= MIN_MAJOR) return undefined
  const hint = ownNode === undefined
    ? `https://nodejs.org, or: nvm install ${MIN_MAJOR}`
    : `npm install put one in this checkout: ${ownNode}${script === undefined ? '' : ` ${script}`}; npm start and npm test use it`
  return `murmur: Node ${version} is too old; murmur needs Node ${MIN_MAJOR} or newer (${hint})`
}

/** This checkout's own Node (node_modules/.bin/node beside dist/), if there is one. */
function ownNode (): string | undefined {
  const candidate = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.bin', 'node')
  return existsSync(candidate) ? path.resolve(candidate) : undefined
}

/** Exits 1 with one line on stderr when this Node is too old; returns otherwise. */
export function refuseOldNode (): void {
  const problem = oldNodeProblem(process.version, ownNode(), process.argv[1])
  if (problem === undefined) return
  process.stderr.write(`${problem}\n`)
  process.exit(1)
}
