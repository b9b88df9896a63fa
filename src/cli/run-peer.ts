/**
 * A peer as a process — the one start-up and shutdown path of `node dist/peer.js`, `murmur agent` and the
 * example app: flags → secrets and warnings → createPeer → (the app) → HTTP API → signal handlers → banner;
 * SIGINT/SIGTERM → no new HTTP requests, graceful leave, requests in flight answered → exit 0 within 3 s.
 * Bad flags: one line, exit 2. Start-up failures: one line, exit 1.
 */
import { closeSync, constants, fstatSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'
import { isatty } from 'node:tty'
import type { Peer } from '../api.js'
import { createLogger, streamSink } from '../core/logger.js'
import type { Logger } from '../core/logger.js'
import { sameTags } from '../core/member-text.js'
import type { HttpApi, RunningServer } from '../http/index.js'
import { HTTP_ADDR_FILE, MAX_CONFIG_CHARS, parseArgs } from './args.js'
import type { ParsedArgs, PeerCliOptions, PeerEnv } from './args.js'
import { formatBanner } from './banner.js'
import { takeHeldHup, takeHeldStop } from './early-signals.js'
import { writeLine, writeStdout } from './output.js'
import { changedSecrets, loadCliSecrets, secretStamps, startupWarnings } from './secrets.js'
import type { CliSecrets } from './secrets.js'
import { misspeltEnv } from './settings.js'
import { bare } from '../net/dns-seeds.js'

/**
 * The banner's word on --bootstrap. A list of this peer's own addresses (one list given to every peer)
 * read "joining through 1 bootstrap peer(s)" beside the log's "starting a new mesh".
 */
function bootstrapNote (o: PeerCliOptions, peer: Peer): string {
  if (o.bootstrap.length === 0) return ''
  if (peer.nobodyToJoin()) return ', no other bootstrap peer (its bootstrap addresses are its own)'
  // Nor one of them among several: the log said "skipping the bootstrap address that is this peer itself".
  const own = new Set(peer.addresses().map(bare))
  const others = o.bootstrap.filter(a => !own.has(bare(a)) && !a.endsWith(`/p2p/${peer.id}`))
  return `, joining through ${others.length} bootstrap peer(s)`
}

/** The signals that stop a peer; a second one while it stops ends the process at once. */
const STOP_SIGNALS: ReadonlySet<string> = new Set(['SIGINT', 'SIGTERM'])

/** A signal must lead to exit within this (the leave gets most of it). */
export const SHUTDOWN_DEADLINE_MS = 2_800
const LEAVE_BUDGET_MS = 1_500
/** Connections still open are cut this long before the deadline, so that the exit itself is on time. */
const CUT_BEFORE_DEADLINE_MS = 200

/** What an application adds to a peer process (the example app: its page, JSON API and live updates). */
export interface PeerApp {
  /** Tried before the peer API; returns false for requests that are not the app's. */
  handle?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>
  /** Extra banner lines, given the HTTP URL. */
  banner?: (httpUrl: string) => ReadonlyArray<readonly [string, string]>
  /** Called on shutdown after the leave, before the HTTP server waits for its requests in flight (end event streams here). */
  close?: () => void
}

export interface PeerAppContext {
  peer: Peer
  /** The peer API, for its access check and its json/fail helpers. */
  api: HttpApi
  log: Logger
  options: PeerCliOptions
  /** The bearer token in force, if any (from whichever source). */
  token: string | undefined
}

export interface RunPeerInit {
  /** Printed by --help. */
  help: string
  /** Printed by --version (one line). */
  version: string
  /** Set when the process is useless without HTTP: the message for --no-http (exit 2). */
  requiresHttp?: string
  /** Opens the application once the peer runs; a throw stops start-up (exit 1, its message). */
  app?: (ctx: PeerAppContext) => Promise<PeerApp> | PeerApp
}

/** One line, always: libp2p's errors can carry multi-line messages and stacks. */
export function fatal (message: string, code: number): never {
  process.stderr.write(`murmur: ${message.split('\n')[0]?.trim() ?? message}\n`)
  process.exit(code)
}

/** An error as one line: its first line, plus the system error code when that is only further down. */
export function describeError (err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  const first = text.split('\n')[0]?.trim() ?? text
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? /\bE[A-Z]{3,}\b/.exec(text)?.[0]
  return typeof code === 'string' && !first.includes(code) ? `${first} (${code})` : first
}

/** A --config file's bytes (readLimited); `-` is standard input's. */
function readText (file: string): Uint8Array {
  if (file !== STDIN) return readLimited(file)
  // `-` is standard input, read once: a SIGHUP reload applies the same settings again (stdin is at its end).
  // A terminal is refused at once: nobody types a settings file, and read without blocking it waited
  // CONFIG_PIPE_WAIT_MS for the first byte before failing.
  if (isatty(0)) throw new Error(STDIN_IS_TTY)
  stdinText ??= readLimited('/dev/stdin')
  return stdinText
}

/** `--config -`: the settings come from standard input. */
const STDIN = '-'
const STDIN_IS_TTY = 'standard input is a terminal: pipe or redirect the settings in (--config - < peer.json), or name the file'
/** What `--config -` read (standard input can be read only once). */
let stdinText: Uint8Array | undefined

/**
 * A --config file's text, read no further than a settings file can go: past MAX_CONFIG_CHARS, parseArgs
 * refuses it by its length. Read whole, /dev/zero (or a huge file named by mistake) filled the memory and
 * the peer never answered. A character takes at most 3 bytes of UTF-8 (an invalid byte decodes to one),
 * so text cut after 3·MAX + 1 bytes is still over the limit.
 * `/dev/stdin` is opened anew (the file or pipe behind it), so O_NONBLOCK does not change fd 0.
 * At start-up the pauses block (parseArgs reads synchronously); readLimitedAsync is the same read for a
 * SIGHUP reload, whose pauses must not hold the running peer.
 */
function readLimited (file: string): Uint8Array {
  const steps = readSteps(file)
  for (;;) {
    const step = steps.next()
    if (step.done === true) return step.value
    Atomics.wait(PAUSE, 0, 0, PIPE_POLL_MS)
  }
}

/**
 * readLimited without blocking: a SIGHUP reload of a pipe (`--config <(vault read …)`, whose writer is gone
 * for good) waited CONFIG_PIPE_WAIT_MS in Atomics.wait, and the peer answered nothing meanwhile — no HTTP,
 * no membership ping, so the others began to suspect it.
 */
async function readLimitedAsync (file: string): Promise<Uint8Array> {
  const steps = readSteps(file)
  for (;;) {
    const step = steps.next()
    if (step.done === true) return step.value
    await new Promise(resolve => setTimeout(resolve, PIPE_POLL_MS))
  }
}

/** The read of readLimited, yielding wherever it must wait for a pipe's writer; returns the bytes. */
function * readSteps (file: string): Generator<undefined, Uint8Array> {
  const limit = 3 * MAX_CONFIG_CHARS + 1
  // Not blocking: opening a named pipe waits for a writer, and with none start-up (or a SIGHUP reload)
  // hung forever. A pipe is read until its writer closes it — `--config <(...)`, a writer that comes later —
  // but at most CONFIG_PIPE_WAIT_MS without a byte arriving. O_NONBLOCK changes nothing for a regular file.
  let fd: number
  let opened = true
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (err) {
    // Standard input a socket — what a supervisor, or Node's spawn with stdin 'pipe', gives — cannot be
    // opened by name (ENXIO, which was all `--config -` said): read it as it is, fd 0, blocking until its
    // writer closes it (a socket has no writer yet to wait for, unlike a named pipe).
    if (file !== '/dev/stdin' || (err as NodeJS.ErrnoException).code !== 'ENXIO') throw err
    fd = 0
    opened = false
  }
  try {
    // A terminal (`--config /dev/stdin` or /dev/tty run interactively) has nothing to read without someone
    // typing: refused at once, not after CONFIG_PIPE_WAIT_MS.
    if (isatty(fd)) throw new Error(file === '/dev/stdin' ? STDIN_IS_TTY : 'it is a terminal, not a settings file')
    const pipe = fstatSync(fd).isFIFO()
    const buf = Buffer.allocUnsafe(limit)
    let n = 0
    let deadline = Date.now() + CONFIG_PIPE_WAIT_MS
    while (n < limit) {
      let got: number
      try {
        got = readSync(fd, buf, n, limit - n, null)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err
        got = -1 // a writer holds the pipe and has written nothing more yet
      }
      if (got > 0) {
        n += got
        deadline = Date.now() + CONFIG_PIPE_WAIT_MS
        continue
      }
      // The end; on a pipe nothing came from yet, no writer so far (it may still open it).
      if (got === 0 && (!pipe || n > 0)) break
      if (Date.now() >= deadline) throw new Error(`nothing could be read from it within ${CONFIG_PIPE_WAIT_MS / 1000} s (a named pipe nobody writes to?)`)
      yield
    }
    // Bytes: parseArgs decodes them, refusing a file that is not UTF-8 (decodeSettingsFile).
    return buf.subarray(0, n)
  } finally {
    if (opened) closeSync(fd)
  }
}

/** How often a pipe with nothing to read yet is tried again. */
const PIPE_POLL_MS = 20
/** How long a --config that is a pipe may go without a byte before the read fails. */
const CONFIG_PIPE_WAIT_MS = 5_000
/** A synchronous pause (Atomics.wait on a value that never changes): parseArgs reads the file synchronously. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4))

/** --help, --version: written, or one line and exit 1 (a full disk); a reader gone (`| head -1`) is no error. */
async function print (text: string): Promise<void> {
  const failed = await writeStdout(text)
  if (failed !== undefined && failed !== 'EPIPE') fatal(`cannot write to stdout: ${failed}`, 1)
}

/** Parses `argv` (over `MURMUR_*` and `--config`) and runs a peer process; returns once it is started (signals end it). */
export async function runPeerCli (argv: readonly string[], env: PeerEnv, init: RunPeerInit): Promise<void> {
  const parsed = parseArgs(argv, env, { readFile: readText })
  switch (parsed.kind) {
    case 'help': return await print(init.help)
    case 'version': return await print(`${init.version}\n`)
    case 'error': fatal(parsed.message, 2)
  }
  const o = parsed.options
  if (init.requiresHttp !== undefined && o.http === undefined) fatal(init.requiresHttp, 2)
  // Everything this process creates (documents, LevelDB's files, keys) is for its own user only.
  process.umask(0o077)
  // SIGHUP's default action ends the process. One that arrives while the peer starts (a `systemctl
  // reload` right after `start`: a second or so) is remembered and applied once the peer runs.
  let hupWhileStarting = false
  const earlyHup = (): void => { hupWhileStarting = true }
  process.on('SIGHUP', earlyHup)
  // One held by the entry point since its first statement (while the modules loaded, a --config pipe was read).
  if (takeHeldHup()) hupWhileStarting = true
  await start(o, init, misspeltEnv(env), async () => await reparseAsync(argv, env, o.configFile), () => {
    process.off('SIGHUP', earlyHup)
    return hupWhileStarting
  })
}

/**
 * The settings again for a SIGHUP: the --config file read without blocking the peer (readLimitedAsync), then
 * parsed as at start-up — a read that failed is parseArgs's own message, as it would have been.
 */
async function reparseAsync (argv: readonly string[], env: PeerEnv, configFile: string | undefined): Promise<ParsedArgs> {
  if (configFile === undefined || configFile === STDIN) return parseArgs(argv, env, { readFile: readText })
  let read: { text: Uint8Array } | { error: unknown }
  try {
    read = { text: await readLimitedAsync(configFile) }
  } catch (error) {
    read = { error }
  }
  return parseArgs(argv, env, {
    readFile: (file) => {
      if (file !== configFile) return readText(file)
      if ('error' in read) throw read.error
      return read.text
    }
  })
}

/**
 * The reader of the log or the banner went away (`2>&1 | head`, a closed ssh session, a harness killed
 * with SIGKILL): a graceful stop, once, as for SIGTERM — what SIGPIPE does to other programs, with a
 * leave. Unhandled, the EPIPE was an uncaught exception at the next log line: exit 1 with no leave.
 * Any other write error (ENOSPC: the log's file is on a full disk) is no reason to stop: the peer runs
 * on, and writeLine drops log lines until they can be written.
 */
function stopOnClosedOutput (stop: (reason: string) => void): void {
  let closed = false
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' || closed) return
      closed = true
      stop('output closed')
    })
  }
}

/** A line to stderr, unless its reader went away (stopOnClosedOutput) or it cannot be written (output.ts). */
function writeStderr (line: string): void {
  writeLine(process.stderr, line)
}

async function start (o: PeerCliOptions, init: RunPeerInit, envWarnings: readonly string[], reparse: () => Promise<ParsedArgs>, hupWhileStarting: () => boolean): Promise<void> {
  const log = createLogger(streamSink(writeStderr), o.logLevel)
  const stopWhileStarting = deferStopSignals(log)
  // One that came before these handlers (the entry point held it) is a stop during start-up like any other.
  const early = takeHeldStop()
  if (early !== undefined) stopWhileStarting.request(early, early)
  let stop = (reason: string): void => { stopWhileStarting.request(reason) }
  stopOnClosedOutput((reason) => { stop(reason) })
  let secrets: CliSecrets
  try {
    secrets = await loadCliSecrets(o)
  } catch (err) {
    fatal(describeError(err), 1)
  }
  const { psk, token } = secrets
  const stamps = secretStamps(o)
  for (const warning of envWarnings) log.warn(warning)
  // Loaded only now: libp2p and the HTTP stack take most of a second to import, which --help, --version,
  // a bad flag or a refused secret file need not wait for.
  const [{ createPeer }, { createHttpApi, startHttpServer }] = await Promise.all([import('../peer-node.js'), import('../http/index.js')])
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
      mdns: o.mdns && o.mdnsCluster !== undefined ? { cluster: o.mdnsCluster } : o.mdns,
      ...(o.advertise.length === 0 ? {} : { advertise: o.advertise }),
      ...(o.datagrams ? {} : { datagrams: false }),
      ...(o.rejoin ? {} : { rejoin: false }),
      profile: o.profile,
      replication: { replicas: o.replicas },
      logger: log
    })
  } catch (err) {
    fatal(`cannot start: ${describeError(err)}`, 1)
  }
  let api: HttpApi | undefined
  let app: PeerApp = {}
  let server: RunningServer | undefined
  let shutdown: (reason: string, left?: boolean) => void = () => {}
  if (o.http !== undefined) {
    const httpApi = createHttpApi(peer, {
      allowFaultInjection: o.allowFaultInjection,
      token,
      allowHosts: o.httpAllowHosts,
      allowOrigins: o.httpAllowOrigins,
      readyAlone: () => peer.nobodyToJoin(),
      onLeave: () => { shutdown('POST /leave', true) },
      log: log.child('http')
    })
    api = httpApi
    try {
      app = await init.app?.({ peer, api: httpApi, log, options: o, token }) ?? {}
    } catch (err) {
      await leaveAndStop(peer)
      fatal(describeError(err), 1)
    }
    const appHandle = app.handle
    try {
      server = await startHttpServer(async (req, res) => {
        if (appHandle !== undefined && await appHandle(req, res)) return
        if (!(await httpApi.handle(req, res))) httpApi.notFound(req, res)
      }, o.http.host, o.http.port, { ...httpApi.serverOptions, ...(secrets.tls === undefined ? {} : { tls: secrets.tls }) })
    } catch (err) {
      await leaveAndStop(peer)
      fatal(`cannot serve HTTP on ${o.http.host}:${o.http.port}: ${describeError(err)}`, 1)
    }
  }
  const addrFile = path.join(o.dataDir, HTTP_ADDR_FILE)
  // Without HTTP, one left by an earlier run that was killed would send `murmur members` to a dead port.
  if (server !== undefined) writeAddrFile(addrFile, server.url, log)
  else removeAddrFile(addrFile, log)
  // Once the peer listens and serves, which is what they warn about: logged before, a start-up that then
  // failed (a locked data dir, a port in use) printed "the mesh is open: listening on …" above its one line.
  for (const warning of startupWarnings(o, secrets)) log.warn(warning)
  const running = server
  shutdown = installShutdown(log, {
    stopAccepting: () => {
      if (running === undefined) return
      running.stopAccepting()
      // The address serves nothing from now on. A failure here is a warning: it must not turn a clean stop into exit 1.
      removeAddrFile(addrFile, log)
    },
    settle: async (by) => {
      app.close?.() // ends the app's event streams, or the drain would wait for them
      api?.close()
      await running?.drain(by - Date.now())
    },
    close: async (by) => { await running?.close({ graceMs: by - Date.now() }) }
  }, peer)
  stop = shutdown
  if (stopWhileStarting.handOver(shutdown)) return
  let current = o
  // One reload at a time, in the order of the signals: each is judged against what the one before applied.
  let reloading = Promise.resolve()
  const onHup = (): void => {
    reloading = reloading.then(async () => {
      const next = await reparse()
      current = reload(current, next, peer, api, log, next.kind === 'run' ? changedSecrets(stamps, next.options) : [])
    }).catch((err: unknown) => { log.warn('SIGHUP: configuration not reloaded', { error: describeError(err) }) })
  }
  process.on('SIGHUP', onHup)
  if (hupWhileStarting()) {
    log.info('SIGHUP arrived during start-up: reloading now')
    onHup()
  }
  // Last: the banner says the peer is up, and whoever reads it may signal it at once. Printed before the
  // handlers, a SIGINT sent on seeing it could find none and kill the process with no graceful leave (a
  // loaded machine: test/cli/peer-cli.test.ts saw exit by signal instead of 0).
  process.stdout.write(formatBanner({
    peerId: peer.id,
    name: peer.self().name,
    addrs: peer.addresses(),
    http: server?.url,
    faultInjection: o.allowFaultInjection,
    dataDir: path.resolve(o.dataDir),
    profile: `${o.profile}${bootstrapNote(o, peer)}` +
      `${o.mdns ? `, mDNS on${o.mdnsCluster === undefined ? '' : ` (cluster ${o.mdnsCluster})`}` : ''}${psk !== undefined ? ', private mesh (psk)' : ''}`,
    extra: server === undefined ? [] : app.banner?.(server.url) ?? []
  }))
}

function removeAddrFile (file: string, log: Logger): void {
  try {
    rmSync(file, { force: true })
  } catch (err) {
    log.warn('could not remove a stale HTTP address file', { file, error: describeError(err) })
  }
}

function writeAddrFile (file: string, url: string, log: Logger): void {
  try {
    writeFileSync(file, `${url}\n`, { mode: 0o600 })
  } catch (err) {
    log.warn('could not record the HTTP address for the murmur command', { file, error: describeError(err) })
  }
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/**
 * SIGHUP: settings read again (the --config file may have changed; flags and the environment cannot
 * have), and what can change at run time applied — tags, the peer allowlist, the HTTP allowed hosts —
 * if it changed since the last load (so tags set at run time with `murmur tags` stay until the file
 * says otherwise). Anything else that changed needs a restart, and the log says so — `secretsChanged`
 * too: the keys of secret files whose contents changed since start (changedSecrets), which are read only
 * then. A bad file changes nothing. Returns the options now in force.
 */
export function reload (current: PeerCliOptions, next: ParsedArgs, peer: Peer, api: HttpApi | undefined, log: Logger, secretsChanged: readonly string[] = []): PeerCliOptions {
  if (next.kind !== 'run') {
    log.warn('SIGHUP: configuration not reloaded', { error: next.kind === 'error' ? next.message : next.kind })
    return current
  }
  const n = next.options
  const applied: string[] = []
  if (!sameTags(n.tags, current.tags)) {
    peer.setTags(n.tags)
    applied.push('tags')
  }
  if (!sameList(n.allowPeers, current.allowPeers)) {
    peer.setAllowedPeers(n.allowPeers.length === 0 ? undefined : n.allowPeers)
    applied.push('allow-peer')
  }
  if (!sameList(n.httpAllowHosts, current.httpAllowHosts)) {
    api?.setAllowHosts(n.httpAllowHosts)
    applied.push('http-allow-host')
  }
  if (!sameList(n.httpAllowOrigins, current.httpAllowOrigins)) {
    api?.setAllowOrigins(n.httpAllowOrigins)
    applied.push('http-allow-origin')
  }
  // Where a setting came from is no setting: a tag added to the file needs no restart.
  const { tags: _t, allowPeers: _a, httpAllowHosts: _h, httpAllowOrigins: _o, origins: _f, ...restNow } = current
  const { tags: _t2, allowPeers: _a2, httpAllowHosts: _h2, httpAllowOrigins: _o2, origins: _f2, ...restNext } = n
  const needRestart = Object.keys({ ...restNow, ...restNext }).filter(k => JSON.stringify((restNow as Record<string, unknown>)[k]) !== JSON.stringify((restNext as Record<string, unknown>)[k]))
  for (const k of secretsChanged) if (!needRestart.includes(k)) needRestart.push(k)
  log.info('SIGHUP: configuration reloaded', { applied: applied.length === 0 ? 'nothing changed' : applied.join(','), ...(needRestart.length === 0 ? {} : { needsRestart: needRestart.join(',') }) })
  return { ...current, tags: n.tags, allowPeers: n.allowPeers, httpAllowHosts: n.httpAllowHosts, httpAllowOrigins: n.httpAllowOrigins }
}

/**
 * SIGINT/SIGTERM while the peer starts. createPeer opens the store, listens and starts joining before it
 * returns, so the signal's default action (death by signal, exit 143, no leave) could leave behind a
 * member the others then had to declare dead. Such a signal (or another stop `request`: the output
 * closed) is remembered instead, and `handOver` gives it to the graceful shutdown once that is installed
 * (true: the peer is shutting down). If start-up has not finished by the exit deadline, or a second
 * signal comes, the signal takes its default action after all: not process.exit, which waits for libuv's
 * threads, and one blocked in open() (a store or a file that never answers) held the process forever.
 */
function deferStopSignals (log: Logger): { request: (reason: string, signal?: NodeJS.Signals) => void, handOver: (shutdown: (reason: string) => void) => boolean } {
  let pending: string | undefined
  const release = (): void => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  const dieBy = (signal: NodeJS.Signals): void => {
    release()
    process.kill(process.pid, signal)
  }
  /** `signal`: the default action to fall back on (a request that is no signal falls back on SIGTERM's). */
  const request = (reason: string, signal: NodeJS.Signals = 'SIGTERM'): void => {
    if (pending !== undefined) {
      log.warn('second stop request during start-up: exiting now', { reason })
      dieBy(signal)
      return
    }
    pending = reason
    log.info('stop requested during start-up: shutting down once started', { reason })
    setTimeout(() => {
      log.warn('start-up did not finish in time: exiting by the signal', { signal })
      dieBy(signal)
    }, SHUTDOWN_DEADLINE_MS).unref()
  }
  function onSignal (signal: NodeJS.Signals): void {
    request(signal, signal)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    request,
    handOver: (shutdown) => {
      release()
      if (pending === undefined) return false
      shutdown(pending)
      return true
    }
  }
}

/**
 * A start-up that fails once the peer runs (its HTTP port taken, the app refusing to start): createPeer
 * has already joined, so leave (bounded) before stopping, or the members would suspect, then declare
 * dead and retry for a day a peer that is simply gone.
 */
async function leaveAndStop (peer: Peer): Promise<void> {
  await leaveBounded(peer)
  await peer.stop()
}

/** A graceful leave, given at most LEAVE_BUDGET_MS. */
async function leaveBounded (peer: Peer): Promise<void> {
  await Promise.race([peer.leave(), new Promise(resolve => setTimeout(resolve, LEAVE_BUDGET_MS))])
}

/**
 * What a peer process serves (its HTTP server), closed in steps around the peer's leave and stop; each
 * step gets the time (a Date.now() value) by which it must be done.
 */
export interface ShutdownServing {
  /** At the signal, before the leave: take no new work (new connections and requests are refused). */
  stopAccepting?: () => void
  /** After the leave: end event streams, and let the requests in flight finish by themselves until `by`. */
  settle?: (by: number) => Promise<void>
  /**
   * After peer.stop() — which gave what still waited on the peer its outcome (a write under way made
   * durable, a wait for copies answered) — let those answers go out, and cut what is still open at `by`.
   */
  close?: (by: number) => Promise<void>
}

/**
 * SIGINT/SIGTERM: stop accepting, leave (bounded), let requests in flight finish (until the leave's budget
 * is spent), stop the peer, close what serves once the answers are out, exit 0 — all within
 * SHUTDOWN_DEADLINE_MS, else exit 0 anyway with a warning. A second signal exits 1 at once. `serving` as
 * a function: closed after the leave, before peer.stop() (its `settle` step).
 */
export function installShutdown (log: Logger, serving: ShutdownServing | (() => Promise<void>), peer: Peer): (reason: string, left?: boolean) => void {
  const steps: ShutdownServing = typeof serving === 'function' ? { settle: serving } : serving
  let shuttingDown = false
  let signals = 0
  /** `left`: the peer has already left (POST /leave answered once it had): no second leave. */
  const shutdown = (signal: string, left = false): void => {
    if (STOP_SIGNALS.has(signal)) signals++
    if (shuttingDown) {
      // A second Ctrl-C means now. Another stop request — a second `murmur leave`, or the SIGTERM a service
      // manager sends after one — finds the graceful stop under way: it exited 1 before the peer stopped.
      if (signals < 2) {
        log.info('already shutting down', { signal })
        return
      }
      log.warn('second signal: exiting now', { signal })
      process.exit(1)
    }
    shuttingDown = true
    const started = Date.now()
    steps.stopAccepting?.()
    log.info('shutting down', { signal })
    setTimeout(() => {
      log.warn('shutdown took too long; exiting')
      process.exit(0)
    }, SHUTDOWN_DEADLINE_MS).unref()
    void (async () => {
      if (!left) await leaveBounded(peer)
      await steps.settle?.(started + LEAVE_BUDGET_MS)
      await peer.stop()
      await steps.close?.(started + SHUTDOWN_DEADLINE_MS - CUT_BEFORE_DEADLINE_MS)
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
  return shutdown
}
