/**
 * Bundles, built by `npm run build` (scripts/build.ts) after tsc (esbuild; everything from npm, nothing from a CDN, so the
 * pages work without internet):
 *   web/mesh/            → dist/web/mesh/            the /mesh page every peer serves
 *   examples/chat-counter/web/notes.ts → examples/chat-counter/public/notes.js   the app's notes pad
 *   src/peer.ts          → dist/peer.js              the peer process, one file in place of tsc's output
 *   src/murmur.ts        → dist/murmur.js            the `murmur` command (its `agent` is the same peer)
 *
 * Why the entry points are one file each: loading ~830 modules one by one made a peer take ~0.75 s to
 * start on an idle machine and several seconds on a loaded one, and their code and sources stayed in its
 * heap. Bundled and minified it starts in ~0.38 s and an idle peer holds ~8 MB less (BENCHMARKS.md, "Idle
 * peer footprint"). The library (dist/index.js, dist/cli/) stays module per module. classic-level stays
 * outside: it loads a native addon from its own package. dist/<entry>.js.map maps stack traces back to
 * src/ when Node runs with --enable-source-maps.
 */
import { copyFileSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type BuildOptions } from 'esbuild'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const at = (p: string): string => path.join(ROOT, p)

const common = { bundle: true, format: 'esm', target: 'es2022', platform: 'browser', minify: true, legalComments: 'none', logLevel: 'warning' } as const

/** An entry bundle must still parse on an old Node, so that its version guard can say what is wrong. */
const entry: BuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  sourcemap: 'linked',
  sourcesContent: false,
  external: ['classic-level'],
  // CommonJS dependencies (prom-client, multicast-dns) call require() for Node's own modules.
  banner: { js: "import { createRequire as __murmurRequire } from 'node:module'; const require = __murmurRequire(import.meta.url);" },
  logLevel: 'warning'
}

/**
 * Writes the bundles into `dist` (a staging copy of dist/: scripts/build.ts publishes it) and the notes pad
 * to `notesFile`; returns what it built, for the build's one line.
 */
export async function buildBundles (dist: string, notesFile: string): Promise<string> {
  mkdirSync(path.join(dist, 'web/mesh'), { recursive: true })
  for (const file of ['index.html', 'mesh.css']) copyFileSync(at(`web/mesh/${file}`), path.join(dist, 'web/mesh', file))
  await Promise.all([
    build({ ...common, entryPoints: [at('web/mesh/mesh.ts')], outfile: path.join(dist, 'web/mesh/mesh.js') }),
    build({ ...common, entryPoints: [at('examples/chat-counter/web/notes.ts')], outfile: notesFile }),
    build({ ...entry, entryPoints: [at('src/peer.ts')], outfile: path.join(dist, 'peer.js') }),
    build({ ...entry, entryPoints: [at('src/murmur.ts')], outfile: path.join(dist, 'murmur.js') })
  ])
  return 'dist/peer.js, dist/murmur.js, dist/web/mesh/, examples/chat-counter/public/notes.js'
}
