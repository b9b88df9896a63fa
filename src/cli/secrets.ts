/**
 * The files a peer's command line points at — pre-shared key, HTTP token file, TLS certificate and key —
 * read once at start-up, with the permission rule of core/private-files.ts for the secret ones, and the
 * warnings an operator should see before anything is exposed.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { statSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { ConfigError } from '../core/errors.js'
import { readSecretFile } from '../core/private-files.js'
import type { TlsFiles } from '../http/index.js'
import { MAX_PSK_FILE_BYTES } from '../net/psk.js'
import { MIN_TOKEN_CHARS, tokenProblem } from '../http/access.js'
import { nodeTls } from '../http/node-builtins.js'
import { isLoopbackAddress } from './args.js'
import type { PeerCliOptions } from './args.js'

/** A token is a few dozen bytes, a TLS key a few KiB: anything past these is not one. */
const MAX_TOKEN_FILE_BYTES = 4 * 1024
const MAX_TLS_FILE_BYTES = 1024 * 1024

export interface CliSecrets {
  /** Contents of the --psk file. */
  psk?: string
  /** The bearer token, from --http-token, --http-token-file or MURMUR_HTTP_TOKEN. */
  token?: string
  tls?: TlsFiles
}

async function secret (file: string, what: string, maxBytes: number): Promise<Buffer> {
  try {
    return await readSecretFile(file, { what, maxBytes })
  } catch (err) {
    if (err instanceof ConfigError) throw err
    throw new ConfigError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
}

/**
 * Reads every file the options name.
 * @throws ConfigError (InsecureFileError for a secret others can read) with a one-line message.
 */
export async function loadCliSecrets (o: PeerCliOptions): Promise<CliSecrets> {
  const out: CliSecrets = {}
  const pskFile = o.pskFile
  if (pskFile !== undefined) out.psk = (await from(o, ['--psk'], async () => await secret(pskFile, '--psk file', MAX_PSK_FILE_BYTES))).toString('utf8')
  if (o.httpToken !== undefined) out.token = o.httpToken
  if (o.httpTokenFile !== undefined) {
    const file = o.httpTokenFile
    out.token = await from(o, ['--http-token-file'], async () => {
      const token = (await secret(file, '--http-token-file', MAX_TOKEN_FILE_BYTES)).toString('utf8').trim()
      const problem = tokenProblem(token)
      if (problem !== undefined) throw new ConfigError(`--http-token-file ${file}: the token must be ${problem}`)
      return token
    })
  }
  const https = o.https
  if (https !== undefined) out.tls = await from(o, ['--https-cert', '--https-key'], async () => await tlsFiles(https))
  return out
}

/**
 * `read`'s ConfigError, prefixed with where the flags' values came from when that was not the command
 * line: `MURMUR_HTTP_TOKEN_FILE=/run/secret` missing said "cannot read --http-token-file …", a flag the
 * operator never typed. The error keeps its class (InsecureFileError).
 */
async function from<T> (o: PeerCliOptions, flags: readonly string[], read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (err) {
    const origins = [...new Set(flags.flatMap(f => o.origins?.[f] ?? []))]
    if (err instanceof ConfigError && origins.length > 0) err.message = `${origins.join(', ')}: ${err.message}`
    throw err
  }
}

async function tlsFiles ({ certFile, keyFile }: NonNullable<PeerCliOptions['https']>): Promise<TlsFiles> {
  let cert: Buffer
  try {
    // A FIFO (or a device) would hold the read, and start-up, forever: the other files are refused so too.
    if (!(await stat(certFile)).isFile()) throw new ConfigError(`--https-cert file ${certFile} is not a regular file`)
    cert = await readFile(certFile)
  } catch (err) {
    if (err instanceof ConfigError) throw err
    throw new ConfigError(`cannot read --https-cert file ${certFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
  }
  if (cert.length > MAX_TLS_FILE_BYTES) throw new ConfigError(`--https-cert file ${certFile} is larger than ${MAX_TLS_FILE_BYTES} bytes`)
  const tls = { cert, key: await secret(keyFile, '--https-key file', MAX_TLS_FILE_BYTES) }
  checkTls(tls, certFile, keyFile)
  return tls
}

/**
 * The certificate and key as the HTTPS server will load them, checked before the peer starts: found only
 * when the server started, a file that is not one (or a key of another certificate) ended a peer that had
 * already joined its mesh, with OpenSSL's words and no file name.
 */
function checkTls (tls: TlsFiles, certFile: string, keyFile: string): void {
  const reason = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? ''
  let cert: X509Certificate
  try {
    cert = new X509Certificate(tls.cert)
  } catch (err) {
    throw new ConfigError(`--https-cert file ${certFile} holds no certificate (${reason(err)})`)
  }
  let key: KeyObject
  try {
    key = createPrivateKey(tls.key)
  } catch (err) {
    throw new ConfigError(`--https-key file ${keyFile} holds no usable private key (${reason(err)})`)
  }
  const mismatch = (why: string): ConfigError => new ConfigError(`--https-cert file ${certFile} and --https-key file ${keyFile} are not a certificate and its key (${why})`)
  try {
    nodeTls().createSecureContext({ cert: tls.cert, key: tls.key })
  } catch (err) {
    throw mismatch(reason(err))
  }
  // OpenSSL checks a key against the certificate only when both are of one type: an Ed25519 key beside
  // an ECDSA certificate was loaded, and every TLS handshake then failed ('no TLS answered' to murmur).
  if (!cert.checkPrivateKey(key)) {
    const [ours, theirs] = [key.asymmetricKeyType, cert.publicKey.asymmetricKeyType]
    throw mismatch(ours === theirs ? 'key values mismatch' : `the key is ${ours ?? 'of another type'}, the certificate's ${theirs ?? 'of another type'}`)
  }
}

/** The listen multiaddrs that accept connections from other machines (0.0.0.0, ::, or a non-loopback IP). */
export function beyondLoopback (listen: readonly string[]): string[] {
  return listen.filter((ma) => {
    const m = /^\/(ip4|ip6|dns4|dns6|dns)\/([^/]+)/.exec(ma)
    return m === null || !isLoopbackAddress(m[2] ?? '')
  })
}

/** One-line warnings for an exposed set-up, to log at start (each is also in README's security model). */
export function startupWarnings (o: PeerCliOptions, secrets: CliSecrets): string[] {
  const out: string[] = []
  const exposed = beyondLoopback(o.listen)
  if (secrets.psk === undefined && o.allowPeers.length === 0 && exposed.length > 0) {
    out.push(`the mesh is open: listening on ${exposed.join(', ')} with no --psk and no --allow-peer, so anyone who reaches that port can join and read and write every document`)
  }
  if (o.http !== undefined && !isLoopbackAddress(o.http.host) && secrets.tls === undefined) {
    out.push(`the HTTP API on ${o.http.host} has no TLS: its bearer token crosses the network in clear (--https-cert/--https-key, or a TLS proxy)`)
  }
  return out
}

/** The secret files `o` names, by the PeerCliOptions key that names them. */
function secretFiles (o: PeerCliOptions): Array<[key: string, file: string | undefined]> {
  return [['pskFile', o.pskFile], ['httpTokenFile', o.httpTokenFile], ['https', o.https?.certFile], ['https', o.https?.keyFile]]
}

/** What tells one version of a file from the next (device, inode, size, modification time), or why it cannot be told. */
function stampOf (file: string): string {
  try {
    const s = statSync(file)
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`
  } catch (err) {
    return `error ${(err as NodeJS.ErrnoException).code ?? String(err)}`
  }
}

/** Each secret file of `o` as loaded at start (by key and path), for SIGHUP to tell one that changed since. */
export type SecretStamps = ReadonlyMap<string, string>

export function secretStamps (o: PeerCliOptions): SecretStamps {
  const out = new Map<string, string>()
  for (const [key, file] of secretFiles(o)) if (file !== undefined) out.set(`${key} ${file}`, stampOf(file))
  return out
}

/**
 * The keys of the secret files that `o` names at the paths loaded at start whose contents have changed
 * since (a renewed certificate, a rotated key or token): they are read only at start, so the change needs
 * a restart. A changed path is a changed setting, which the reload reports by itself.
 */
export function changedSecrets (stamps: SecretStamps, o: PeerCliOptions): string[] {
  const out = new Set<string>()
  for (const [key, file] of secretFiles(o)) {
    const before = file === undefined ? undefined : stamps.get(`${key} ${file}`)
    if (before !== undefined && before !== stampOf(file as string)) out.add(key)
  }
  return [...out]
}

