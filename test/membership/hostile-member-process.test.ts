/**
 * A hostile member over real processes (issue 10): five honest `dist/peer.js` peers and one member that
 * holds the pre-shared key but runs a modified sender (test/membership/hostile-peer.ts) forging acks, `left`
 * and `alive` records about the others, huge incarnations, and a flood of push-pull requests.
 *
 * One honest member leaves before the attack, another is SIGKILLed during it. Checked: no live member is
 * ever listed dead, the one that left never comes back, the crashed one is declared dead everywhere (and
 * stays so) despite forged refutations, honest members' probe round trips stay within 2× of the quiet mesh,
 * and every forged frame is counted in each target's /metrics.
 */
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { generatePsk } from '../../src/net/index.js'
import { NODE, ROOT, cleanup, members, metricSamples, sleep, spawnPeer, stopPeer, tempDir, waitFor, waitForStates } from '../helpers/procs.js'
import type { PeerProcess } from '../helpers/procs.js'

const QUIET_MS = 10_000
const ATTACK_MS = 25_000
const KILL_AFTER_MS = 5_000

interface Report {
  acks: Record<string, number>
  left: Record<string, number>
  alive: Record<string, number>
  suspectHuge: Record<string, number>
  pushPulls: Record<string, number>
  replies: Record<string, number>
}

/** Counters of one peer that the attack must move (and the probe round trips). */
async function snapshot (p: PeerProcess): Promise<{ refused: Map<string, number>, rtt: { sum: number, count: number }, rateLimited: number }> {
  const refused = await metricSamples(p, 'murmur_membership_refused_total')
  const sum = (await metricSamples(p, 'murmur_probe_rtt_seconds_sum')).get('') ?? 0
  const count = (await metricSamples(p, 'murmur_probe_rtt_seconds_count')).get('') ?? 0
  const rateLimited = (await metricSamples(p, 'murmur_rejected_frames_total')).get('{layer="transport",reason="rateLimited"}') ?? 0
  return { refused, rtt: { sum, count }, rateLimited }
}

const refusedDelta = (a: Map<string, number>, b: Map<string, number>, reason: string): number =>
  (b.get(`{reason="${reason}"}`) ?? 0) - (a.get(`{reason="${reason}"}`) ?? 0)

describe('a hostile member holding the key', () => {
  afterAll(cleanup)

  test('forged acks, left and alive records, huge incarnations and a push-pull flood: nobody live dies, nobody gone returns, probes stay fast, every refusal is counted', async () => {
    const keyFile = path.join(tempDir(), 'swarm.key')
    writeFileSync(keyFile, generatePsk())
    const args = ['--profile', 'local', '--psk', keyFile]
    const seed = await spawnPeer({ args })
    const others = await Promise.all(Array.from({ length: 4 }, async () => await spawnPeer({ args, bootstrap: [seed.addrs[0] as string] })))
    const honest = [seed, ...others]
    const [a, b, c, departed, crashed] = honest as [PeerProcess, PeerProcess, PeerProcess, PeerProcess, PeerProcess]
    const live = [a, b, c]

    const hostile = spawn(NODE, [path.join(ROOT, 'test/membership/hostile-peer.ts'), '--psk', keyFile, '--bootstrap', seed.addrs[0] as string], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    hostile.stdout.on('data', (d: Buffer) => { out += d.toString() })
    hostile.stderr.on('data', (d: Buffer) => { err += d.toString() })
    const exited = new Promise<void>((resolve) => { hostile.on('exit', () => { resolve() }) })
    try {
      const hostileId = await waitFor('the hostile member to join', () => /^hostile (\S+)$/m.exec(out)?.[1], 20_000)
      await waitForStates(honest, [...honest.map(p => p.id), hostileId], 'alive', 20_000)

      // One member leaves before the attack (the hostile one will try to bring it back).
      await stopPeer(departed, 'SIGTERM')
      await waitForStates([a, b, c, crashed], [departed.id], 'left', 15_000)

      // Quiet mesh: the probe round trips to compare with.
      const quietStart = await Promise.all(live.map(snapshot))
      await sleep(QUIET_MS)
      const quietEnd = await Promise.all(live.map(snapshot))

      // The attack; halfway in, an honest member is killed (the hostile one forges its refutations).
      const attackStart = await Promise.all(live.map(snapshot))
      hostile.stdin.write(`attack ${crashed.id} ${departed.id}\n`)
      const started = Date.now()
      const violations: string[] = []
      const deadAt = new Map<string, number>()
      let killedAt = Infinity
      while (Date.now() - started < ATTACK_MS) {
        if (killedAt === Infinity && Date.now() - started >= KILL_AFTER_MS) {
          crashed.proc.kill('SIGKILL')
          killedAt = Date.now()
        }
        for (const observer of live) {
          for (const m of await members(observer)) {
            const at = `${observer.id.slice(-6)} saw ${m.peerId.slice(-6)} ${m.state}`
            if (m.peerId === departed.id) {
              if (m.state !== 'left') violations.push(`${at} (it left)`)
            } else if (m.peerId === crashed.id) {
              if (m.state === 'dead' && !deadAt.has(observer.id)) deadAt.set(observer.id, Date.now())
              else if (m.state !== 'dead' && deadAt.has(observer.id)) violations.push(`${at} after declaring it dead`)
            } else if (m.state === 'dead' || m.state === 'left') {
              violations.push(`${at} (it is alive)`)
            }
          }
        }
        await sleep(250)
      }
      hostile.stdin.write('quiet\nreport\n')
      const report = JSON.parse(await waitFor('the hostile report', () => /^report (.+)$/m.exec(out)?.[1], 5_000)) as Report
      const attackEnd = await Promise.all(live.map(snapshot))

      // Liveness: no live member dead, the departed never back, the crashed dead everywhere.
      expect(violations.slice(0, 10)).toEqual([])
      expect(deadAt.size, 'every live member declared the killed one dead').toBe(live.length)
      const detectMs = Math.max(...deadAt.values()) - killedAt

      // Probe latency: mean round trip during the attack ≤ 2 × the quiet mesh's.
      const mean = (from: typeof quietStart, to: typeof quietEnd): number => {
        let sum = 0
        let count = 0
        for (let i = 0; i < live.length; i++) {
          sum += (to[i]?.rtt.sum ?? 0) - (from[i]?.rtt.sum ?? 0)
          count += (to[i]?.rtt.count ?? 0) - (from[i]?.rtt.count ?? 0)
        }
        return count === 0 ? NaN : 1000 * sum / count
      }
      const quietRtt = mean(quietStart, quietEnd)
      const attackRtt = mean(attackStart, attackEnd)

      // Every forged frame refused and counted where it landed.
      const rows: string[] = []
      for (let i = 0; i < live.length; i++) {
        const p = live[i] as PeerProcess
        const before = attackStart[i]?.refused ?? new Map<string, number>()
        const after = attackEnd[i]?.refused ?? new Map<string, number>()
        const sentTo = (c: Record<string, number>): number => c[p.id] ?? 0
        const expected = {
          unexpected_ack: sentTo(report.acks),
          bad_signature: sentTo(report.left) + sentTo(report.alive),
          implausible_incarnation: sentTo(report.suspectHuge),
          push_pull_served: sentTo(report.pushPulls) - sentTo(report.replies)
        }
        for (const [reason, n] of Object.entries(expected)) {
          const counted = refusedDelta(before, after, reason)
          rows.push(`${p.id.slice(-6)} ${reason}: forged ${n}, counted ${counted}`)
          expect(n, `${reason} forgeries sent to ${p.id}`).toBeGreaterThan(0)
          expect(counted, `${reason} at ${p.id}`).toBeGreaterThanOrEqual(n)
        }
        expect((attackEnd[i]?.rateLimited ?? 0) - (attackStart[i]?.rateLimited ?? 0), 'no forged frame was dropped by the transport before membership saw it').toBe(0)
      }
      console.log(`hostile member for ${ATTACK_MS / 1000} s: probe round trip ${quietRtt.toFixed(2)} ms quiet → ${attackRtt.toFixed(2)} ms under attack; ` +
        `killed member dead everywhere ${detectMs} ms after SIGKILL; push-pulls answered ${Object.values(report.replies).reduce((x, y) => x + y, 0)} of ${Object.values(report.pushPulls).reduce((x, y) => x + y, 0)}\n  ${rows.join('\n  ')}`)
      expect(attackRtt).toBeLessThanOrEqual(2 * quietRtt)
    } finally {
      hostile.kill('SIGTERM')
      await Promise.race([exited, sleep(3_000)])
      if (hostile.exitCode === null) hostile.kill('SIGKILL')
      if (err !== '') console.log(`hostile peer stderr: ${err.slice(0, 2_000)}`)
    }
  }, 150_000)
})
