/**
 * The chat-counter app: one murmur peer plus one HTTP server for the page, the app JSON API and the peer
 * API. It runs through the library's own peer-process runner (runPeerCli), so flags, banner, start-up
 * errors and shutdown are exactly those of `node dist/peer.js`, plus an `app` line in the banner.
 * SIGINT/SIGTERM → graceful leave → exit 0 within 3 s; bad flags → one line, exit 2; start-up failures →
 * one line, exit 1.
 *
 *   node examples/chat-counter/server.ts --listen /ip4/127.0.0.1/tcp/4001 --http 8080 --data-dir .murmur/a
 */
import { existsSync } from 'node:fs'
import { loadStatic } from './static.ts'

// The modules that import dist/ are loaded only once it is there: a static import of it failed on a checkout
// not built yet before any line here ran, as an ERR_MODULE_NOT_FOUND stack trace.
const missing = ['index.js', 'cli/index.js'].filter(f => !existsSync(new URL(`../../dist/${f}`, import.meta.url)))
if (missing.length > 0) {
  process.stderr.write(`chat-counter: dist/ is not built (no dist/${missing.join(', dist/')}): run \`npm run build\` first\n`)
  process.exit(1)
}
const { MURMUR_VERSION, describeError, peerHelp, runPeerCli } = await import('../../dist/cli/index.js')
const { createLiveUpdates } = await import('./live.ts')
const { DOC, openChatCounter } = await import('./model.ts')
const { createAppRoutes } = await import('./routes.ts')

const HELP = `${peerHelp('node examples/chat-counter/server.ts')
  .replace(/^Starts a murmur peer.*$/m, 'Starts a murmur peer running the chat-counter app: the page, /api/* and the peer API on the --http port.')}`

await runPeerCli(process.argv.slice(2), process.env, {
  help: HELP,
  version: `murmur chat-counter ${MURMUR_VERSION}`,
  requiresHttp: 'the chat-counter app is served over HTTP: drop --no-http',
  app: async ({ peer, api, token }) => {
    const staticFiles = loadStatic()
    const model = await openChatCounter(peer).catch((err: unknown) => { throw new Error(`cannot open the ${DOC} document: ${describeError(err)}`) })
    const live = createLiveUpdates(peer, model)
    return {
      handle: createAppRoutes({ peer, model, live, api, staticFiles }),
      banner: url => [['app', `${url}/${token === undefined ? '' : '  (append #token=<your token>)'}`]],
      close: () => { live.close() }
    }
  }
})
