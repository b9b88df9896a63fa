/**
 * The chat-counter app: one murmur peer plus one HTTP server for the page, the app JSON API and the peer
 * API. Same flags and banner as `node dist/peer.js` (so scripts and tests start it the same way), plus an
 * `app` line. SIGINT/SIGTERM → graceful leave → exit 0 within 3 s; bad flags → one line, exit 2;
 * start-up failures → one line, exit 1.
 *
 *   node examples/chat-counter/server.ts --listen /ip4/127.0.0.1/tcp/4001 --http 8080 --data-dir .murmur/a
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { PEER_HELP, createHttpApi, createLogger, createPeer, loadCliSecrets, parseArgs, startHttpServer, startupWarnings, streamSink } from '../../dist/index.js'
import type { CliSecrets, Logger, Peer, PeerCliOptions } from '../../dist/index.js'
import { createLiveUpdates } from './live.ts'
import { DOC, openChatCounter } from './model.ts'
import type { ChatCounter } from './model.ts'
import { createAppRoutes } from './routes.ts'
import { loadStatic } from './static.ts'

/** A signal must lead to exit within 3 s; the leave gets most of it, as in dist/peer.js. */
const SHUTDOWN_DEADLINE_MS = 2_800
const LEAVE_BUDGET_MS = 1_500

const HELP = `${PEER_HELP.replace('Usage: node dist/peer.js', 'Usage: node examples/chat-counter/server.ts')
  .replace(/^Starts a murmur peer.*$/m, 'Starts a murmur peer running the chat-counter app: the page, /api/* and the peer API on the --http port.')}`

function fatal (message: string, code: number): never {
  process.stderr.write(`murmur: ${message}\n`)
  process.exit(code)
}

function version (): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }
    return pkg.version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

/**
 * One line, as the CLI contract asks: some start-up errors (libp2p's listen failure) carry a multi-line
 * message with a stack; keep the first line and the system error code if it is only further down.
 */
function oneLine (err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  const first = text.split('\n')[0]?.trim() ?? ''
  const code = /\bE[A-Z]{3,}\b/.exec(text)?.[0]
  return code === undefined || first.includes(code) ? first : `${first} (${code})`
}

async function startPeer (o: PeerCliOptions, log: Logger, psk: string | undefined): Promise<Peer> {
  try {
    return await createPeer({
      listen: o.listen,
      bootstrap: o.bootstrap,
      dataDir: o.dataDir,
      ...(o.name === undefined ? {} : { name: o.name }),
      tags: o.tags,
      ...(psk === undefined ? {} : { psk }),
      ...(o.allowPeers.length === 0 ? {} : { allowPeers: o.allowPeers }),
      mdns: o.mdns,
      profile: o.profile,
      logger: log
    })
  } catch (err) {
    fatal(`cannot start: ${oneLine(err)}`, 1)
  }
}

async function run (o: PeerCliOptions, http: { host: string, port: number }): Promise<void> {
  const log = createLogger(streamSink((line) => { process.stderr.write(line) }), o.logLevel)
  let secrets: CliSecrets
  try {
    secrets = await loadCliSecrets(o)
  } catch (err) {
    fatal(oneLine(err), 1)
  }
  const { psk, token } = secrets
  for (const warning of startupWarnings(o, secrets)) log.warn(warning)
  const staticFiles = loadStatic()
  const peer = await startPeer(o, log, psk)
  let model: ChatCounter
  try {
    model = await openChatCounter(peer)
  } catch (err) {
    await peer.stop()
    fatal(`cannot open the ${DOC} document: ${oneLine(err)}`, 1)
  }
  const live = createLiveUpdates(peer, model)
  const api = createHttpApi(peer, {
    allowFaultInjection: o.allowFaultInjection,
    token,
    allowHosts: o.httpAllowHosts,
    readyAlone: o.bootstrap.length === 0 && !o.mdns,
    log: log.child('http')
  })
  const app = createAppRoutes({ peer, model, live, api, staticFiles })
  let server: Awaited<ReturnType<typeof startHttpServer>>
  try {
    server = await startHttpServer(async (req, res) => {
      if (await app(req, res)) return
      if (await api.handle(req, res)) return
      api.notFound(req, res)
    }, http.host, http.port, { onRejected: api.noteRejected, ...(secrets.tls === undefined ? {} : { tls: secrets.tls }) })
  } catch (err) {
    await peer.stop()
    fatal(`cannot serve HTTP on ${http.host}:${http.port}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 1)
  }

  // The banner of dist/peer.js, line for line (scripts parse it), plus where to open the app.
  const self = peer.self()
  process.stdout.write([
    `murmur peer ${peer.id}`,
    `  name    ${self.name}`,
    ...peer.addresses().map((a, i) => `  ${i === 0 ? 'listen ' : '       '} ${a}`),
    `  http    ${server.url}${o.allowFaultInjection ? ' (fault injection enabled)' : ''}`,
    `  data    ${path.resolve(o.dataDir)}`,
    `  profile ${o.profile}${o.bootstrap.length > 0 ? `, joining through ${o.bootstrap.length} bootstrap peer(s)` : ''}${o.mdns ? ', mDNS on' : ''}${psk !== undefined ? ', private mesh (psk)' : ''}`,
    `  app     ${server.url}/${token === undefined ? '' : '  (append #token=<your token>)'}`
  ].join('\n') + '\n')

  let shuttingDown = false
  const shutdown = (signal: string): void => {
    if (shuttingDown) {
      log.warn('second signal: exiting now', { signal })
      process.exit(1)
    }
    shuttingDown = true
    log.info('shutting down', { signal })
    setTimeout(() => {
      log.warn('shutdown took too long; exiting')
      process.exit(0)
    }, SHUTDOWN_DEADLINE_MS).unref()
    void (async () => {
      await Promise.race([peer.leave(), new Promise(resolve => setTimeout(resolve, LEAVE_BUDGET_MS))])
      live.close() // ends the event streams, or server.close would wait for them
      api.close()
      await server.close()
      await peer.stop()
      log.info('stopped')
      process.exit(0)
    })().catch((err: unknown) => {
      log.error('shutdown failed', { error: err instanceof Error ? err.message : String(err) })
      process.exit(1)
    })
  }
  process.on('SIGINT', () => { shutdown('SIGINT') })
  process.on('SIGTERM', () => { shutdown('SIGTERM') })
  process.on('unhandledRejection', (err) => {
    log.error('unhandled rejection', { error: err instanceof Error ? err.stack ?? err.message : String(err) })
  })
}

process.umask(0o077) // as dist/peer.js: the data dir and everything in it for this user only
const parsed = parseArgs(process.argv.slice(2), process.env)
switch (parsed.kind) {
  case 'help': process.stdout.write(HELP); break
  case 'version': process.stdout.write(`murmur chat-counter ${version()}\n`); break
  case 'error': fatal(parsed.message, 2); break
  case 'run':
    if (parsed.options.http === undefined) fatal('the chat-counter app is served over HTTP: drop --no-http', 2)
    await run(parsed.options, parsed.options.http)
    break
}
