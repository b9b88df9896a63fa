/**
 * `npm run bench -- heal`: how long a mesh of N real peers cut into two halves takes to list every member
 * alive again after the cut heals, and what the heal costs the peers (issue 14).
 *
 * N peers (`dist/peer.js --profile local`, on 127.0.0.1 like the soak; another build's peer.js through
 * MURMUR_PEER_JS) form a mesh. Each round cuts it into its first and second half (`POST /admin/partition`
 * on every peer, blocking the other half), waits until every peer lists the other half dead, heals
 * (`DELETE /admin/partition` on every peer) and reads every peer's `/members` every 150 ms, each peer in
 * its own loop (one loop over all of them would read the last peers late on a busy machine), until it lists
 * all N alive. Over the heal: the peers' CPU from /proc/<pid>/stat; over the heal and the 15 s after it:
 * their handshakes, duplicate connections closed, stale verdicts, suspicions and frames received by type.
 * Rounds run on the same mesh, each after it is whole again.
 */
import os from 'node:os'
import { PEER_JS, stopPeer } from '../lib/peers.ts'
import type { PeerProcess } from '../lib/peers.ts'
import { buildName } from './lib/build-name.ts'
import { inRange, readFlags } from './lib/flags.ts'
import { COUNT_WINDOW_MS, CUT_SETTLE_MS, HEAL_TIMEOUT_MS, POLL_MS, SETTLE_MS, START_BATCH, healRound, medianOrNull, startMesh, waitWhole } from './lib/heal-round.ts'
import type { HealRound } from './lib/heal-round.ts'
import { MURMUR_PEER_JS } from './lib/murmur-mesh.ts'
import { UsageError, machine, median, progress, round, table, writeSection } from './lib/report.ts'
import { teardownAll } from './lib/teardown.ts'

export const USAGE = 'options: --peers 30 (even, 4–60)  --rounds 2 (1–10)  --quick (6 peers, 1 round); MURMUR_PEER_JS=<another build\'s dist/peer.js> measures that build'

export interface Options { peers: number, rounds: number }

const DEFAULTS: Options = { peers: 30, rounds: 2 }
const QUICK: Options = { peers: 6, rounds: 1 }

/** The options from `args`; a bad one is a UsageError before any peer starts (exported for its test). */
export function parse (args: readonly string[]): Options {
  let quick = false
  const given: Partial<Options> = {}
  readFlags(args, USAGE, {
    numbers: {
      '--peers': inRange(4, 60, true, n => { given.peers = n }),
      '--rounds': inRange(1, 10, true, n => { given.rounds = n })
    },
    switches: { '--quick': () => { quick = true } }
  })
  const o = { ...(quick ? QUICK : DEFAULTS), ...given }
  if (o.peers % 2 !== 0) throw new UsageError(`--peers must be even (two halves of the same size), got ${o.peers}`)
  return o
}

// ── report ────────────────────────────────────────────────────────────────────────────────────────

const NOT_HEALED = `not within ${HEAL_TIMEOUT_MS / 1000} s`
const secs = (x: number | null): string => x === null ? NOT_HEALED : x.toFixed(1)
const count = (x: number | null): string => x === null ? '–' : String(Math.round(x))
const sumOf = (r: HealRound, channel: string): number => Object.entries(r.framesIn).filter(([k]) => k.startsWith(`${channel}.`)).reduce((a, [, v]) => a + v, 0)
/** The median of a counter over rounds; null if this build has no such counter. */
const medianCount = (xs: ReadonlyArray<number | null>): number | null => xs.includes(null) ? null : median(xs as number[])

interface Row { label: string, cell: (r: HealRound) => string, median: (rs: readonly HealRound[]) => string }

const ROWS: Row[] = [
  { label: '**heal → all alive everywhere, s** (slowest peer)', cell: r => `**${secs(r.healS)}**`, median: rs => `**${secs(medianOrNull(rs.map(r => r.healS)))}**` },
  { label: 'heal → all alive, median peer, s', cell: r => secs(r.medianPeerS), median: rs => secs(medianOrNull(rs.map(r => r.medianPeerS))) },
  { label: 'peers\' CPU over the heal, s (cores busy)', cell: r => `${r.cpuS.toFixed(1)} (${r.cores.toFixed(2)})`, median: rs => `${median(rs.map(r => r.cpuS)).toFixed(1)} (${median(rs.map(r => r.cores)).toFixed(2)})` },
  { label: 'whole machine busy over the heal, cores', cell: r => r.machineCores.toFixed(2), median: rs => median(rs.map(r => r.machineCores)).toFixed(2) },
  { label: 'handshakes started, outbound + inbound', cell: r => `${r.handshakesOut + r.handshakesIn} (${r.handshakesOut} + ${r.handshakesIn})`, median: rs => count(median(rs.map(r => r.handshakesOut + r.handshakesIn))) },
  { label: 'handshakes timed out', cell: r => count(r.handshakeTimeouts), median: rs => count(median(rs.map(r => r.handshakeTimeouts))) },
  { label: 'duplicate connections closed', cell: r => count(r.duplicates), median: rs => count(medianCount(rs.map(r => r.duplicates))) },
  { label: 'stale verdicts (told to the accused)', cell: r => count(r.staleVerdicts), median: rs => count(medianCount(rs.map(r => r.staleVerdicts))) },
  { label: 'suspicions', cell: r => count(r.suspicions), median: rs => count(median(rs.map(r => r.suspicions))) },
  { label: 'frames in: swim / sync', cell: r => `${sumOf(r, 'swim')} / ${sumOf(r, 'sync')}`, median: rs => `${count(median(rs.map(r => sumOf(r, 'swim'))))} / ${count(median(rs.map(r => sumOf(r, 'sync'))))}` },
  { label: 'cut → other half dead everywhere, s', cell: r => r.cutS.toFixed(1), median: rs => median(rs.map(r => r.cutS)).toFixed(1) }
]

function report (o: Options, rounds: readonly HealRound[], peerJs: string, build: string, loadBefore: string, formedS: number): string {
  // report.ts's median of an even count is the lower middle value: said so, not left for a mean.
  const header = ['', ...rounds.map((_, i) => `round ${i + 1}`), `median of ${rounds.length}${rounds.length % 2 === 0 ? ' (lower middle)' : ''}`]
  const rows = ROWS.map(row => [row.label, ...rounds.map(row.cell), row.median(rounds)])
  const frames = (r: HealRound): string => Object.entries(r.framesIn).map(([k, v]) => `${k} ${v}`).join(', ')
  const half = o.peers / 2
  return [
    `${o.peers} peers (\`${peerJs === PEER_JS ? 'dist/peer.js' : peerJs} --profile local\`, build ${build}, on 127.0.0.1; the seed started first, then ${START_BATCH} at a time; all alive everywhere ${round(formedS, 1)} s after the last started), load average ${loadBefore} before. Each round, once the mesh is whole and ${SETTLE_MS / 1000} s quiet: \`POST /admin/partition\` on every peer cuts it ${half} | ${half} (first and second half by start order); once every peer lists the other half dead, ${CUT_SETTLE_MS / 1000} s later, \`DELETE /admin/partition\` on every peer heals it. The heal's clock starts when the last DELETE answered; each peer's \`/members\` is then read every ${POLL_MS} ms by its own loop until it lists all ${o.peers} alive (the reads' own CPU is in the peers' CPU). CPU: the peers' user + system time (/proc/<pid>/stat) from just before the DELETEs to the slowest peer's all-alive. Counters (all peers, \`/metrics\`): from just before the DELETEs to ${COUNT_WINDOW_MS / 1000} s after the heal — handshakes \`murmur_handshakes_started_total\` and \`murmur_handshakes_ended_total{result="timed_out"}\`, \`murmur_duplicate_connections_closed_total\`, \`murmur_stale_verdicts_total\`, \`murmur_suspicions_total\`, frames \`murmur_swim_messages_total\` and \`murmur_sync_messages_total\` with direction in ("–": the build has no such counter). Across the cut there are ${half * half} member pairs.`,
    '',
    table(header, rows),
    '',
    ...rounds.map((r, i) => `- round ${i + 1}: per peer, s: ${r.perPeerS.map(s => s === null ? '–' : s.toFixed(1)).join(' ')}; DELETEs answered in ${r.unblockMs} ms; counters over ${r.countS} s; frames in: ${frames(r)}`)
  ].join('\n')
}

// ── run ───────────────────────────────────────────────────────────────────────────────────────────

export async function main (args: string[]): Promise<void> {
  const o = parse(args)
  const loadBefore = os.loadavg().map(l => l.toFixed(2)).join(' ')
  const build = buildName(MURMUR_PEER_JS)
  progress(`heal benchmark on ${machine()}, murmur ${MURMUR_PEER_JS} (${build}): ${o.peers} peers, ${o.rounds} round(s) of a ${o.peers / 2} | ${o.peers / 2} cut and heal; load average ${loadBefore}`)
  let peers: PeerProcess[] = []
  const rounds: HealRound[] = []
  let formedS: number
  try {
    progress(`starting ${o.peers} peers`)
    const t0 = performance.now()
    peers = await startMesh(o.peers, MURMUR_PEER_JS)
    progress(`${o.peers} peers up in ${round((performance.now() - t0) / 1000, 1)} s; waiting for all alive everywhere`)
    formedS = await waitWhole(peers)
    progress(`mesh formed: all alive everywhere ${round(formedS, 1)} s later`)
    for (let r = 0; r < o.rounds; r++) rounds.push(await healRound(peers, `round ${r + 1}/${o.rounds}`))
    progress('stopping the peers')
    await Promise.all(peers.map(async p => await stopPeer(p)))
  } finally {
    teardownAll()
  }
  const body = report(o, rounds, MURMUR_PEER_JS, build, loadBefore, formedS)
  process.stdout.write(`${body}\n`)
  const command = `npm run bench -- heal${args.length > 0 ? ` ${args.join(' ')}` : ''}`
  writeSection('heal', 'Heal of a mesh cut in halves (issue 14)', command, body)
  const medianOf = (pick: (r: HealRound) => number | null): number | null => medianOrNull(rounds.map(pick))
  process.stdout.write(`${JSON.stringify({
    bench: 'heal',
    options: o,
    build,
    peerJs: MURMUR_PEER_JS,
    loadBefore,
    formedS: round(formedS, 2),
    rounds,
    median: {
      healS: medianOf(r => r.healS),
      medianPeerS: medianOf(r => r.medianPeerS),
      cpuS: medianOf(r => r.cpuS),
      cores: medianOf(r => r.cores),
      handshakes: medianOf(r => r.handshakesOut + r.handshakesIn),
      duplicates: medianCount(rounds.map(r => r.duplicates)),
      staleVerdicts: medianCount(rounds.map(r => r.staleVerdicts)),
      suspicions: medianOf(r => r.suspicions)
    }
  })}\n`)
}
