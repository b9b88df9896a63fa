/**
 * Files only the peer's own user may read: the data directory (identity key and documents) and secret
 * files handed to it (pre-shared key, TLS key, HTTP token file).
 *
 * The rule for secrets is OpenSSH's (`UNPROTECTED PRIVATE KEY FILE`) with PostgreSQL's exception for
 * `ssl_key_file`: a secret may not be accessible to other users, except a root-owned file may be read
 * by its group (0640 or tighter). That exception is how secret managers hand keys to a service user —
 * a Kubernetes Secret volume with `fsGroup`, Vault agent, systemd's `LoadCredential` — without giving
 * the service write access to them.
 */
import { chmod, opendir, readFile, stat } from 'node:fs/promises'
import { makeDirs } from './make-dirs.js'
import { InsecureFileError } from './errors.js'
import type { Logger } from './logger.js'

/** Created data dirs: owner only (they hold the identity key and every replicated document). */
export const PRIVATE_DIR_MODE = 0o700
/** Created secret files (`murmur keygen`, the identity key): owner read/write only. */
export const PRIVATE_FILE_MODE = 0o600

/** `0755`; `1777` with the special bits (sticky, setgid) shown. */
const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0')

/**
 * Why a secret file with these permissions must not be trusted, or undefined when it may. Pure: `mode`
 * and `ownerUid` as fs.stat reports them.
 */
export function looseSecretMode (mode: number, ownerUid: number): string | undefined {
  const perm = mode & 0o777
  if ((perm & 0o007) !== 0) return `is accessible to every user of this machine (mode ${octal(perm)})`
  if ((perm & 0o070) === 0) return undefined
  if (ownerUid === 0 && (perm & 0o030) === 0) return undefined
  return `is accessible to its group (mode ${octal(perm)}; only a root-owned file may be group-readable)`
}

export interface SecretFileInit {
  /** How the file is named in messages, e.g. `--psk file`. */
  what: string
  /** Larger files are refused: none of murmur's secrets is more than a few KiB. */
  maxBytes: number
}

/**
 * Reads a secret file after checking it is a regular file, not too large, and private (looseSecretMode).
 * @throws InsecureFileError for loose permissions; ConfigError-derived errors are the caller's to map.
 */
export async function readSecretFile (file: string, init: SecretFileInit): Promise<Buffer> {
  const info = await stat(file)
  if (!info.isFile()) throw new InsecureFileError(`${init.what} ${file} is not a regular file`)
  if (info.size > init.maxBytes) throw new InsecureFileError(`${init.what} ${file} is ${info.size} bytes; at most ${init.maxBytes} expected`)
  const loose = looseSecretMode(info.mode, info.uid)
  if (loose !== undefined) throw new InsecureFileError(`${init.what} ${file} ${loose}: run chmod 600 ${file}`)
  return await readFile(file)
}

/**
 * What a peer puts in its data dir (identity key and remembered members, their crash-left temp copies,
 * documents, the HTTP address file), and `lost+found`, which the root of a freshly formatted volume (a Kubernetes volume claim) holds.
 */
const PEER_ENTRY = /^(?:(?:peer\.key|members\.json)(?:\.\d+\.\d+\.tmp)?|docs|http-addr|lost\+found)$/

/** The first entry of `dir` that a peer did not put there, if any (undefined: the dir is the peer's own). */
async function foreignEntry (dir: string): Promise<string | undefined> {
  for await (const entry of await opendir(dir)) {
    if (!PEER_ENTRY.test(entry.name)) return entry.name // leaving the loop closes the dir
  }
  return undefined
}

/**
 * Creates `dir` (and missing parents) owner-only, or tightens an existing one that others could enter
 * (taking the group's and others' permissions away, adding none): whatever is inside — LevelDB files created with the process umask included — is then out of other
 * users' reach. A directory we may not chmod (not ours) is left as it is, with a warning. So is one that
 * holds anything a peer did not put there: it is shared with something else (`--data-dir /` or `/tmp`,
 * run as root, made the file system root or /tmp owner-only for every user of the machine); the files a
 * peer creates in it are owner-only anyway.
 */
export async function ensurePrivateDir (dir: string, log: Logger): Promise<void> {
  await makeDirs(dir, PRIVATE_DIR_MODE)
  const info = await stat(dir)
  if ((info.mode & 0o077) === 0) return
  let foreign: string | undefined
  try {
    foreign = await foreignEntry(dir)
  } catch (err) {
    foreign = `(cannot list it: ${(err as NodeJS.ErrnoException).code ?? String(err)})`
  }
  if (foreign !== undefined) {
    log.warn('data directory is open to other users and holds files a peer did not create: left as it is (give the peer a directory of its own)', { dir, mode: octal(info.mode), entry: foreign })
    return
  }
  try {
    // Only the group and other bits go: an owner's read-only dir stays read-only (and fails below, clearly).
    await chmod(dir, info.mode & PRIVATE_DIR_MODE)
    log.warn('data directory was open to other users; restricted it to its owner', { dir, was: octal(info.mode), now: octal(info.mode & PRIVATE_DIR_MODE) })
  } catch (err) {
    log.warn('data directory is open to other users and could not be restricted', { dir, mode: octal(info.mode), error: (err as NodeJS.ErrnoException).code ?? String(err) })
  }
}
