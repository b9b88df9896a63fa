/**
 * Browser bundles, built by `npm run build` after tsc (esbuild; everything from npm, nothing from a CDN,
 * so the pages work without internet):
 *   web/mesh/            → dist/web/mesh/            the /mesh page every peer serves
 *   examples/chat-counter/web/notes.ts → examples/chat-counter/public/notes.js   the app's notes pad
 */
import { copyFileSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const at = (p: string): string => path.join(ROOT, p)

const common = { bundle: true, format: 'esm', target: 'es2022', platform: 'browser', minify: true, legalComments: 'none', logLevel: 'warning' } as const

const started = Date.now()
mkdirSync(at('dist/web/mesh'), { recursive: true })
for (const file of ['index.html', 'mesh.css']) copyFileSync(at(`web/mesh/${file}`), at(`dist/web/mesh/${file}`))
await Promise.all([
  build({ ...common, entryPoints: [at('web/mesh/mesh.ts')], outfile: at('dist/web/mesh/mesh.js') }),
  build({ ...common, entryPoints: [at('examples/chat-counter/web/notes.ts')], outfile: at('examples/chat-counter/public/notes.js') })
])
process.stdout.write(`web bundles built in ${Date.now() - started} ms (dist/web/mesh/, examples/chat-counter/public/notes.js)\n`)
