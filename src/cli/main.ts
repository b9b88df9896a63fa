/**
 * `node dist/peer.js`: flags → createPeer → HTTP API; SIGINT/SIGTERM → graceful leave → exit 0.
 * Start-up failures print one line and exit 1; bad flags exit 2.
 */
import path from 'node:path'
import type { Peer } from '../api.js'
import { createLogger, streamSink } from '../core/logger.js'
import { createHttpApi, startHttpServer } from '../http/index.js'
import type { HttpApi, RunningServer } from '../http/index.js'
import { createPeer } from '../peer-node.js'
import { MURMUR_VERSION } from '../version.js'
import { HELP, parseArgs } from './args.js'
import type { PeerCliOptions } from './args.js'
import { loadCliSecrets, startupWarnings } from './secrets.js'
import type { CliSecrets } from './secrets.js'

/** A signal must lead to exit within this (the leave gets most of it). */
const SHUTDOWN_DEADLINE_MS = 2_800
const LEAVE_BUDGET_MS = 1_500

/** One line, always: libp2p's errors can carry multi-line messages and stacks. */
function fatal (message: string, code: number): never {
  process.stderr.write(`murmur: ${message.split('\n')[0]?.trim() ?? message}\n`)
  process.exit(code)
}

function describe (err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const code = (err as NodeJS.ErrnoException).code
  const first = err.message.split('\n')[0]?.trim() ?? err.message
  return code !== undefined && !first.includes(code) ? `${first} (${code})` : first
}

async function run (o: PeerCliOptions): Promise<void> {
  const log = createLogger(streamSink((line) => { process.stderr.write(line) }), o.logLevel)
  let secrets: CliSecrets
  try {
    secrets = await loadCliSecrets(o)
  } catch (err) {
    fatal(describe(err), 1)
  }
  const { psk, token } = secrets
  for (const warning of startupWarnings(o, secrets)) log.warn(warning)
  let peer: Peer
  try {
    peer = await createPeer({
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
    fatal(`cannot start: ${describe(err)}`, 1)
  }
  let api: HttpApi | undefined
  let server: RunningServer | undefined
  if (o.http !== undefined) {
    const httpApi = createHttpApi(peer, {
      allowFaultInjection: o.allowFaultInjection,
      token,
      allowHosts: o.httpAllowHosts,
      readyAlone: o.bootstrap.length === 0 && !o.mdns,
      log: log.child('http')
    })
    api = httpApi
    try {
      server = await startHttpServer(async (req, res) => {
        if (!(await httpApi.handle(req, res))) httpApi.notFound(req, res)
      }, o.http.host, o.http.port, { onRejected: httpApi.noteRejected, ...(secrets.tls === undefined ? {} : { tls: secrets.tls }) })
    } catch (err) {
      await peer.stop()
      fatal(`cannot serve HTTP on ${o.http.host}:${o.http.port}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 1)
    }
  }
  const self = peer.self()
  const lines = [
    `murmur peer ${peer.id}`,
    `  name    ${self.name}`,
    ...peer.addresses().map((a, i) => `  ${i === 0 ? 'listen ' : '       '} ${a}`),
    `  http    ${server === undefined ? 'off' : server.url}${o.allowFaultInjection ? ' (fault injection enabled)' : ''}`,
    `  data    ${path.resolve(o.dataDir)}`,
    `  profile ${o.profile}${o.bootstrap.length > 0 ? `, joining through ${o.bootstrap.length} bootstrap peer(s)` : ''}${o.mdns ? ', mDNS on' : ''}${psk !== undefined ? ', private mesh (psk)' : ''}`
  ]
  process.stdout.write(`${lines.join('\n')}\n`)

  let shuttingDown = false
  const shutdown = (signal: string): void => {
    if (shuttingDown) {
      log.warn('second signal: exiting now', { signal })
      process.exit(1)
    }
    shuttingDown = true
    log.info('shutting down', { signal })
    const deadline = setTimeout(() => {
      log.warn('shutdown took too long; exiting')
      process.exit(0)
    }, SHUTDOWN_DEADLINE_MS)
    deadline.unref()
    void (async () => {
      await Promise.race([peer.leave(), new Promise(resolve => setTimeout(resolve, LEAVE_BUDGET_MS))])
      api?.close()
      await server?.close()
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

// Everything this process creates (documents, logs of LevelDB, keys) is for its own user only.
process.umask(0o077)
const parsed = parseArgs(process.argv.slice(2), process.env)
switch (parsed.kind) {
  case 'help': process.stdout.write(HELP); break
  case 'version': process.stdout.write(`murmur ${MURMUR_VERSION}\n`); break
  case 'error': fatal(parsed.message, 2); break
  case 'run': await run(parsed.options); break
}
