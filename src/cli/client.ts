/**
 * How the `murmur` operator commands reach an agent: its HTTP API, found through `--http-addr`,
 * `MURMUR_HTTP_ADDR`, or the `http-addr` file the agent writes in its data dir (so `murmur members` next
 * to a running `murmur agent` needs no flag, as with Serf); the token from `--http-token-file`,
 * `MURMUR_HTTP_TOKEN` or `MURMUR_HTTP_TOKEN_FILE`. HTTPS with a private CA: NODE_EXTRA_CA_CERTS.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { ConfigError } from '../core/errors.js'
import { readSecretFile } from '../core/private-files.js'
import { MIN_TOKEN_CHARS, tokenProblem } from '../http/access.js'
import { DEFAULT_DATA_DIR, HTTP_ADDR_FILE, bracketedIpv6 } from './args.js'
import { envValue } from './settings.js'
import { httpRequest } from './http-request.js'

/** A request of a command waits at most this long (a join waits for the push-pulls). */
export const REQUEST_TIMEOUT_MS = 30_000

export interface ClientInit {
  /** `--http-addr`: `host:port`, `http://host:port` or `https://host:port`. */
  httpAddr?: string | undefined
  /** `--http-token-file`. */
  tokenFile?: string | undefined
  /** `--data-dir`: where to look for the agent's http-addr file. */
  dataDir?: string | undefined
  env: Readonly<Record<string, string | undefined>>
  /** Ctrl-C: ends a request under way at once (an AgentError with `interrupted` set). */
  signal?: AbortSignal | undefined
}

/**
 * A request body that is already JSON text, sent as it is: `murmur docs put`'s value, so the agent's own
 * checks judge what the operator typed (`1e400` is refused there; parsed and serialised again here, it
 * would become `null` and be stored).
 */
export class JsonText {
  constructor (readonly text: string) {}
}

/** An agent answered with an error, or could not be reached. */
export class AgentError extends Error {
  override name = 'AgentError'
  /**
   * @param notSent the request never left: the connection was refused or the agent's name did not
   *   resolve, so a write was certainly not applied (a timeout or a reset may come after the agent had it).
   */
  constructor (message: string, readonly status?: number, readonly code?: string, readonly interrupted = false, readonly notSent = false) {
    super(message)
  }
}

/**
 * The agent's address as the operator gave it (`--http-addr`, `MURMUR_HTTP_ADDR`) is malformed, or a path
 * that leads to it or its token (`--data-dir`, `--http-token-file`) can name nothing: a usage error (exit 2),
 * where one read from the agent's http-addr file is a file refused (a ConfigError, exit 1).
 */
export class AddressUsageError extends ConfigError {
  override name = 'AddressUsageError'
}

/**
 * A path the operator gave, refused when it starts with `~`, as the agent refuses it (args.ts): the shell
 * expands it only at the start of a word, not after `--data-dir=` nor in a variable's value, so
 * `murmur members --data-dir=~/murmur` looked in a directory named `~` and said only that no http-addr was there.
 */
function typedPath (what: string, value: string): string {
  if (value.startsWith('~')) throw new AddressUsageError(`${what} ${JSON.stringify(value)}: ~ is not expanded here; write the full path`)
  return value
}

/** After a 401 to a request that carried no token: the ways murmur takes one. */
const NO_TOKEN_HINT = ' (no token was given: pass --http-token-file <file>, or set MURMUR_HTTP_TOKEN or MURMUR_HTTP_TOKEN_FILE)'

/** Socket errors that come before a connection exists: no byte of the request can have reached an agent. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EADDRNOTAVAIL'])

const READ_METHODS = new Set(['GET', 'HEAD'])
/**
 * Said of a change (a non-read request) that left but got no answer — a timeout, a reset, Ctrl-C — or a
 * 500: the agent may have applied it, and nothing here can tell. `docs put` says it its own way (it retries
 * under an Idempotency-Key), so it strips this.
 */
export const MAY_HAVE_APPLIED = ' (the agent may have received it: the change may have been applied)'

export interface AgentClient {
  readonly base: string
  request<T>(method: string, route: string, body?: unknown, extraHeaders?: Readonly<Record<string, string>>): Promise<T>
  /** Opens a long-lived GET (the event stream); the caller reads the body. */
  stream(route: string, signal: AbortSignal): Promise<Response>
}

/** Where to reach an agent listening on every interface (what it records for `--http 0.0.0.0:<port>`): loopback. */
const REACH_UNSPECIFIED: Readonly<Record<string, string>> = { '0.0.0.0': '127.0.0.1', '[::]': '[::1]' }

/** `typed`: the operator gave `addr` (a flag, a variable), so a malformed one is a usage error. */
function normalise (addr: string, what: string, typed: boolean): string {
  const refuse = (message: string): ConfigError => typed ? new AddressUsageError(message) : new ConfigError(message)
  const withScheme = /^https?:\/\//.test(addr) ? addr : `http://${addr}`
  const expected = `${what} ${JSON.stringify(addr)}: expected host:port or http(s)://host:port`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch {
    const bracketed = bracketedIpv6(addr)
    if (bracketed !== undefined) throw refuse(`${what} ${JSON.stringify(addr)}: an IPv6 host goes in brackets: ${bracketed}`)
    throw refuse(expected)
  }
  // A user name or a #fragment was dropped in silence (no token is sent that way).
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') throw refuse(expected)
  const authority = withScheme.replace(/^https?:\/\//, '').replace(/\/$/, '')
  // `--http-addr 8080`, as the agent's `--http 8080`, asked the IPv4 address 0.0.31.144 on port 80.
  if (/^\d+$/.test(authority)) throw refuse(`${what} ${JSON.stringify(addr)}: a port alone is not an address: expected host:port (an agent on this machine: 127.0.0.1:${authority})`)
  // Without a scheme, a host without a port was asked on port 80: name the port (a scheme implies its own).
  if (withScheme !== addr && !/:\d+$/.test(authority)) throw refuse(`${expected} (no port given)`)
  if (url.port === '0') throw refuse(`${what} ${JSON.stringify(addr)}: port 0 is not an address an agent listens on`)
  url.hostname = REACH_UNSPECIFIED[url.hostname] ?? url.hostname
  return url.origin
}


async function tokenOf (init: ClientInit): Promise<string | undefined> {
  const file = init.tokenFile ?? envValue(init.env, 'MURMUR_HTTP_TOKEN_FILE')
  const fileFrom = init.tokenFile === undefined ? 'MURMUR_HTTP_TOKEN_FILE' : '--http-token-file'
  // Trimmed as the agent trims it: a Secret made from a file ends in a newline, which no header can carry.
  const fromEnv = init.env.MURMUR_HTTP_TOKEN?.trim()
  if (init.tokenFile === undefined && fromEnv !== undefined && fromEnv !== '') {
    // One an agent cannot have (agents refuse such tokens): said as such, not as 'cannot reach the agent'
    // (fetch refuses a header with characters past U+00FF before sending anything).
    const problem = tokenProblem(fromEnv)
    if (problem !== undefined) throw new ConfigError(`MURMUR_HTTP_TOKEN must be ${problem}`)
    return fromEnv
  }
  if (file === undefined || file === '') return undefined
  typedPath(fileFrom, file)
  let token: string
  try {
    token = (await readSecretFile(file, { what: fileFrom, maxBytes: 4096 })).toString('utf8').trim()
  } catch (err) {
    if (err instanceof ConfigError) throw err
    throw new ConfigError(`cannot read ${fileFrom} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  const problem = tokenProblem(token)
  if (problem !== undefined) throw new ConfigError(`${fileFrom} ${file}: the token must be ${problem}`)
  return token
}

/** The agent's URL; `recordedIn`: the http-addr file it was read from, when neither the flag nor the environment gave one. */
function baseOf (init: ClientInit): { base: string, recordedIn?: string } {
  if (init.httpAddr !== undefined) return { base: normalise(init.httpAddr, '--http-addr', true) }
  const fromEnv = envValue(init.env, 'MURMUR_HTTP_ADDR')
  if (fromEnv !== undefined) return { base: normalise(fromEnv, 'MURMUR_HTTP_ADDR', true) }
  const givenDir = init.dataDir ?? envValue(init.env, 'MURMUR_DATA_DIR')
  if (givenDir !== undefined) typedPath(init.dataDir === undefined ? 'MURMUR_DATA_DIR' : '--data-dir', givenDir)
  const dataDir = givenDir ?? DEFAULT_DATA_DIR
  const file = path.join(dataDir, HTTP_ADDR_FILE)
  let recorded: string
  try {
    recorded = readFileSync(file, 'utf8').trim()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // Unreadable is not missing: the agent's data dir is owner-only, and `murmur` run by another user lands here.
    const why = code === 'ENOENT' ? `which does not exist${givenDir === undefined ? otherDataDirs() : ''}` : `which cannot be read (${code ?? String(err)}${code === 'EACCES' ? ': run murmur as the agent\'s user' : ''})`
    throw new ConfigError(`no agent address: pass --http-addr <host:port> or set MURMUR_HTTP_ADDR (a local agent records it in ${file}, ${why})`)
  }
  return { base: normalise(recorded, file, false), recordedIn: file }
}

/**
 * Where else a local agent may have recorded its address, for an operator who gave murmur no data dir:
 * an agent started with `--data-dir ./a` (as README's example did), or `npm start`'s demo peers, whose
 * data dirs are .murmur/demo-1..3 (their files sit one level below the default).
 */
function otherDataDirs (): string {
  const nested: string[] = []
  try {
    for (const entry of readdirSync(DEFAULT_DATA_DIR, { withFileTypes: true })) {
      if (entry.isDirectory() && existsSync(path.join(DEFAULT_DATA_DIR, entry.name, HTTP_ADDR_FILE))) nested.push(path.join(DEFAULT_DATA_DIR, entry.name))
    }
  } catch {}
  nested.sort()
  if (nested.length > 0) return `; agents record it in ${nested.map(d => path.join(d, HTTP_ADDR_FILE)).join(', ')}: pass --data-dir ${nested[0] as string}`
  return '; an agent started with --data-dir <dir> records it there: give murmur the same --data-dir'
}

/** Certificate checks that fail for a certificate of a CA this machine does not trust (a private CA, a self-signed one). */
const UNTRUSTED_CERT = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT'])

/**
 * What an operator needs after a TLS failure, whose code alone (an OpenSSL name) does not say: how to
 * trust the agent's CA, or that the scheme does not match what the agent serves; or after an answer that
 * is not HTTP at all (an llhttp code). '' for any other error.
 */
function tlsHint (base: string, code: unknown): string {
  if (typeof code !== 'string') return ''
  const https = base.startsWith('https:')
  if (https && UNTRUSTED_CERT.has(code)) return ' (the agent\'s certificate is not from a CA this machine trusts: NODE_EXTRA_CA_CERTS=<ca.pem> murmur …)'
  if (https && code === 'ERR_TLS_CERT_ALTNAME_INVALID') return ' (the agent\'s certificate is for another host name: use one it names in --http-addr)'
  // OpenSSL's "wrong version number": what came back was no TLS, most likely plain HTTP.
  if (https && code === 'EPROTO') return ` (no TLS answered: if the agent serves plain HTTP, use --http-addr ${base.replace(/^https:/, 'http:')})`
  // A TLS server closes a connection that opens with plain HTTP; so does a peer's libp2p port, sent a request with a body.
  if (!https && code === 'ECONNRESET') return ` (if the agent serves HTTPS, use --http-addr ${base.replace(/^http:/, 'https:')}; if that is a peer's --listen port, give its --http address)`
  // Node's HTTP parser (llhttp) refused the answer: something else listens there (ssh, a peer's libp2p port).
  if (!https && code.startsWith('HPE_')) return ' (what answered there does not speak HTTP: give the agent\'s --http address, not a peer\'s --listen port)'
  return ''
}

/** @throws AddressUsageError for a malformed --http-addr or MURMUR_HTTP_ADDR, ConfigError for a missing or malformed recorded address or token file. */
export async function agentClient (init: ClientInit): Promise<AgentClient> {
  const { base, recordedIn } = baseOf(init)
  const token = await tokenOf(init)
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` }
  /** `method`: a write that never left says so (a read has nothing to apply). */
  const unreachable = (err: unknown, method = 'GET'): AgentError => {
    const cause = (err as { cause?: { name?: string, code?: unknown, message?: string } }).cause
    const change = !READ_METHODS.has(method)
    if ((err as { name?: string }).name === 'TimeoutError' || cause?.name === 'TimeoutError') {
      return new AgentError(`the agent at ${base} did not answer within ${REQUEST_TIMEOUT_MS / 1000} s${change ? MAY_HAVE_APPLIED : ''}`)
    }
    const reason = typeof cause?.code === 'string' ? cause.code : cause?.message
    // A TLS handshake that failed (an untrusted or misnamed certificate, no TLS at all) ended before the request.
    const tlsRefused = base.startsWith('https:') && typeof cause?.code === 'string' && (UNTRUSTED_CERT.has(cause.code) || cause.code === 'ERR_TLS_CERT_ALTNAME_INVALID' || cause.code === 'EPROTO')
    const notSent = tlsRefused || (typeof cause?.code === 'string' && NOT_SENT.has(cause.code))
    const outcome = !change ? '' : notSent ? ' (nothing was sent: not applied)' : MAY_HAVE_APPLIED
    // The agent removes its http-addr file when it stops: one left behind names an agent killed or crashed.
    const stale = recordedIn !== undefined && cause?.code === 'ECONNREFUSED' ? ` (the address ${recordedIn} records: is the agent running? One killed or crashed leaves that file behind)` : ''
    return new AgentError(`cannot reach the agent at ${base}: ${reason ?? (err instanceof Error ? err.message : String(err))}${tlsHint(base, cause?.code)}${stale}${outcome}`, undefined, undefined, false, notSent)
  }
  const fail = async (res: Response): Promise<AgentError> => {
    const text = await res.text()
    let body: { error?: unknown, code?: unknown } = {}
    try { body = JSON.parse(text) as typeof body } catch {}
    const code = typeof body.code === 'string' ? body.code : undefined
    // Every error of an agent is JSON {error, code}; anything else (an empty 404, a proxy's HTML page)
    // came from something else on that address, and its first line would only mislead.
    if (typeof body.error !== 'string') return new AgentError(`${res.status}${res.statusText === '' ? '' : ` ${res.statusText}`} from ${base}, not a murmur error: ${notAnAgent}`, res.status, code)
    // Without a token, "missing or wrong bearer token" left a new operator to find how murmur takes one.
    const hint = res.status === 401 && token === undefined ? NO_TOKEN_HINT : ''
    return new AgentError(`${res.status}${code === undefined ? '' : ` ${code}`}: ${body.error}${hint}`, res.status, code)
  }
  const notAnAgent = 'is that address a murmur agent\'s HTTP API?'
  const json = async <T>(res: Response): Promise<T> => {
    const text = await res.text()
    try {
      return JSON.parse(text) as T
    } catch {
      throw new AgentError(`${res.status} from ${base}, but not a JSON answer: ${notAnAgent}`, res.status)
    }
  }
  return {
    base,
    request: async <T>(method: string, route: string, body?: unknown, extraHeaders: Readonly<Record<string, string>> = {}): Promise<T> => {
      const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
      const signal = init.signal === undefined ? timeout : AbortSignal.any([timeout, init.signal])
      try {
        const res = await httpRequest(`${base}${route}`, {
          method,
          headers: body === undefined ? { ...headers, ...extraHeaders } : { ...headers, ...extraHeaders, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: body instanceof JsonText ? body.text : JSON.stringify(body) }),
          signal
        })
        if (!res.ok) {
          const refused = await fail(res)
          if (res.status !== 500 || READ_METHODS.has(method)) throw refused
          throw new AgentError(`${refused.message}${MAY_HAVE_APPLIED}`, refused.status, refused.code)
        }
        return await json<T>(res)
      } catch (err) {
        if (init.signal?.aborted === true) throw new AgentError(`interrupted while waiting for the agent at ${base}${READ_METHODS.has(method) ? '' : MAY_HAVE_APPLIED}`, undefined, undefined, true)
        if (err instanceof AgentError) throw err
        throw unreachable(err, method)
      }
    },
    stream: async (route, signal) => {
      // The answer (its status and headers) must come within the request timeout, like any request's:
      // an agent that accepts the connection and says nothing would otherwise hold `monitor` forever.
      // The body, the stream itself, lasts until `signal` (Ctrl-C).
      const request = new AbortController()
      const onAbort = (): void => { request.abort(signal.reason) }
      if (signal.aborted) onAbort()
      else signal.addEventListener('abort', onAbort, { once: true })
      const timer = setTimeout(() => { request.abort(new DOMException('no answer', 'TimeoutError')) }, REQUEST_TIMEOUT_MS)
      let res: Response
      try {
        res = await httpRequest(`${base}${route}`, { headers: { ...headers, accept: 'text/event-stream' }, signal: request.signal })
      } catch (err) {
        signal.removeEventListener('abort', onAbort)
        if (signal.aborted) throw new AgentError(`interrupted while waiting for the agent at ${base}`, undefined, undefined, true)
        throw unreachable(err)
      } finally {
        clearTimeout(timer)
      }
      if (!res.ok) throw await fail(res)
      return res
    }
  }
}
