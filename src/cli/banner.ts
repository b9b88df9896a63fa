/**
 * The start banner of a peer process (`node dist/peer.js`, `murmur agent`, the example app): printed by
 * formatBanner, read back by parseBanner (tests, `npm start`, the benchmarks), so the format lives in one
 * place. It goes to stdout in one write, and ends with the `profile` line:
 *
 *   murmur peer 12D3KooW…
 *     name    host:4001
 *     listen  /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…
 *             /ip4/10.0.0.5/tcp/4001/p2p/12D3KooW…
 *     http    http://127.0.0.1:8080 (fault injection enabled)
 *     app     http://127.0.0.1:8080/                          ← extra lines, if any
 *     data    /home/me/.murmur
 *     profile lan, joining through 1 bootstrap peer(s)
 */
import { terminalSafe } from '../core/terminal-safe.js'

export interface BannerInfo {
  peerId: string
  name: string
  addrs: readonly string[]
  /** The HTTP API's URL; undefined when it is off. */
  http?: string | undefined
  faultInjection: boolean
  dataDir: string
  /** e.g. `lan, joining through 2 bootstrap peer(s), mDNS on (cluster blue)` */
  profile: string
  /** More `label value` lines (the example app's `app` URL), printed before `data`. */
  extra?: ReadonlyArray<readonly [label: string, value: string]>
}

export interface ParsedBanner {
  peerId: string
  name: string
  addrs: string[]
  http?: string
  dataDir: string
  profile: string
  /** Every `label value` line by label, extras included (first word of the value for `http`). */
  lines: Record<string, string>
}

const LABEL_WIDTH = 8

/**
 * One line whatever the value holds: a name or data dir the operator chose with a newline in it forged
 * banner lines (an `http` line parseBanner read as the URL), and an escape acted on the terminal.
 */
const line = (label: string, value: string): string => `  ${label.padEnd(LABEL_WIDTH)}${terminalSafe(value)}`

export function formatBanner (b: BannerInfo): string {
  const out = [`murmur peer ${b.peerId}`, line('name', b.name)]
  b.addrs.forEach((a, i) => { out.push(line(i === 0 ? 'listen' : '', a)) })
  out.push(line('http', b.http === undefined ? 'off' : `${b.http}${b.faultInjection ? ' (fault injection enabled)' : ''}`))
  for (const [label, value] of b.extra ?? []) out.push(line(label, value))
  out.push(line('data', b.dataDir), line('profile', b.profile))
  return `${out.join('\n')}\n`
}

/**
 * Reads a banner from a process's stdout so far. Undefined until the whole banner is there (its final
 * `profile` line, newline included), so callers can poll a growing buffer.
 */
export function parseBanner (stdout: string): ParsedBanner | undefined {
  const start = stdout.search(/^murmur peer \S+$/m)
  if (start < 0) return undefined
  const rows = stdout.slice(start).split('\n')
  const end = rows.findIndex(r => r.startsWith('  profile '))
  if (end < 0 || end === rows.length - 1) return undefined // not complete: no newline after `profile` yet
  const peerId = (rows[0] ?? '').slice('murmur peer '.length)
  const lines: Record<string, string> = {}
  const addrs: string[] = []
  let last = ''
  for (const row of rows.slice(1, end + 1)) {
    const label = row.slice(2, 2 + LABEL_WIDTH).trim()
    const value = row.slice(2 + LABEL_WIDTH)
    if (label === '' && last === 'listen') addrs.push(value)
    else {
      lines[label] = value
      last = label
      if (label === 'listen') addrs.push(value)
    }
  }
  const http = lines.http === undefined || lines.http === 'off' ? undefined : lines.http.split(' ')[0]
  return { peerId, name: lines.name ?? '', addrs, ...(http === undefined ? {} : { http }), dataDir: lines.data ?? '', profile: lines.profile ?? '', lines }
}
