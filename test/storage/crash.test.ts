/**
 * Crash test with real processes: a child appends Y.Doc updates through a LevelDocStore and prints
 * `ack <k>` after each callback; the parent SIGKILLs it at a random point, reopens the data dir and checks
 * that every acknowledged key is there. The same dir goes through every round, so each round also
 * recovers from the previous kills (the child reloads the doc before writing more).
 *
 * The child runs compiled JS: beforeAll compiles src/ with the project's tsconfig into a private
 * .tmp/ directory (tsc 7 takes well under a second), so this file always tests the current sources and
 * never races other tests over dist/. The seed picks kill points and windows (MURMUR_SEED overrides it; the
 * replay command is printed on failure); the exact instant of each kill still depends on scheduling.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SeededRandom } from '../../src/core/random.js'
import { openLevelDocStore } from '../../src/storage/level-store.js'
import { useSeed } from '../helpers/replay.js'

const ROOT = resolve(import.meta.dirname, '..', '..')
const BUILD_DIR = join(ROOT, '.tmp', `storage-crash-${process.pid}`)
const STORE_MODULE = join(BUILD_DIR, 'storage', 'level-store.js')
const CHILD = join(ROOT, 'test', 'fixtures', 'storage-crash-child.mjs')
const WAIT_MS = 15_000 // bound on every wait for the child

beforeAll(() => {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
  const built = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--outDir', BUILD_DIR], {
    cwd: ROOT, timeout: 60_000, encoding: 'utf8'
  })
  // Type errors elsewhere in the project still emit JS; only a missing module is fatal here.
  if (!existsSync(STORE_MODULE)) throw new Error(`tsc did not emit ${STORE_MODULE}: ${built.stdout}${built.stderr}`)
})

afterAll(async () => {
  await rm(BUILD_DIR, { recursive: true, force: true })
})

interface Round {
  mode: 'plain' | 'compact'
  /** Kill after this many acks of the round... */
  killAfterAcks?: number
  /** ...or right after the child announces its n-th compaction. */
  killAtCompaction?: number
  window: number
}

interface RoundResult {
  acked: number[]
  compactionsStarted: number
  compactionsDone: number
}

/** Runs one child from key `first` and SIGKILLs it when the round's condition is met (or WAIT_MS passes). */
async function runAndKill (dir: string, first: number, round: Round): Promise<RoundResult> {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [
    CHILD, STORE_MODULE, dir, String(first), round.mode, String(round.window)
  ], { cwd: ROOT })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
  const result: RoundResult = { acked: [], compactionsStarted: 0, compactionsDone: 0 }
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`child did not reach its kill point within ${WAIT_MS} ms`)) }, WAIT_MS)
      const done = (err?: Error): void => {
        clearTimeout(timer)
        if (err === undefined) resolve()
        else reject(err)
      }
      let killed = false
      createInterface({ input: child.stdout }).on('line', line => {
        const [event, arg] = line.split(' ')
        if (event === 'ack') result.acked.push(Number(arg)) // acknowledged before the kill landed: checked too
        // Lines of one chunk arrive together: compactions after the kill point are not the one it killed at.
        if (killed) return
        if (event === 'compact-start') result.compactionsStarted++
        else if (event === 'compacted') result.compactionsDone++
        else if (event === 'error') done(new Error(`child: ${line}`))
        const killNow = round.killAtCompaction !== undefined
          ? result.compactionsStarted >= round.killAtCompaction
          : result.acked.length >= (round.killAfterAcks ?? 0)
        if (killNow) {
          killed = true
          child.kill('SIGKILL') // at once, from the line handler: the child is mid-stream
          done()
        }
      })
      child.once('exit', code => { done(new Error(`child exited on its own (code ${code}): ${stderr}`)) })
    })
  } finally {
    child.kill('SIGKILL')
    await exited
  }
  return result
}

/** Reopens the store in this process and returns the doc's map as recovered from disk. */
async function recover (dir: string): Promise<{ map: Record<string, unknown>, updates: number }> {
  const store = await openLevelDocStore(dir)
  try {
    const updates = await new Promise<Uint8Array[]>((resolve, reject) => {
      store.load('crash-doc', (err, value) => { if (err !== null) reject(err); else resolve(value ?? []) })
    })
    const doc = new Y.Doc()
    for (const u of updates) Y.applyUpdate(doc, u)
    return { map: doc.getMap('m').toJSON(), updates: updates.length }
  } finally {
    await store.close()
  }
}

describe('LevelDocStore crash recovery (real process, SIGKILL)', () => {
  const NAME = 'recovers every acknowledged write after random kills'
  it(NAME, async () => {
    const seed = useSeed(7, 'test/storage/crash.test.ts', NAME)
    const random = new SeededRandom(seed)
    const dir = await mkdtemp(join(tmpdir(), 'murmur-crash-'))
    const rounds: Round[] = [
      { mode: 'plain', killAfterAcks: 1 + random.int(50), window: 1 },
      { mode: 'plain', killAfterAcks: 50 + random.int(400), window: 1 + random.int(32) },
      { mode: 'plain', killAfterAcks: 50 + random.int(400), window: 64 },
      { mode: 'compact', killAtCompaction: 1 + random.int(3), window: 1 + random.int(32) },
      { mode: 'compact', killAtCompaction: 1 + random.int(3), window: 64 },
      { mode: 'compact', killAfterAcks: 50 + random.int(400), window: 1 + random.int(32) },
      { mode: 'compact', killAtCompaction: 2 + random.int(4), window: 1 + random.int(8) },
      { mode: 'plain', killAfterAcks: 1, window: 64 } // dies while ~63 appends are queued or being synced
    ]
    const acked = new Set<number>()
    try {
      for (const [i, round] of rounds.entries()) {
        const first = i * 1_000_000 // disjoint keys per round
        const result = await runAndKill(dir, first, round)
        for (const k of result.acked) acked.add(k)
        const { map } = await recover(dir)
        const missing = [...acked].filter(k => map[String(k)] !== k)
        expect(missing, `round ${i} ${JSON.stringify(round)} lost acknowledged keys (seed ${seed})`).toEqual([])
        // Sanity: the child got where the round meant to kill it.
        if (round.killAtCompaction !== undefined) expect(result.compactionsStarted).toBe(round.killAtCompaction)
        else expect(result.acked.length).toBeGreaterThanOrEqual(round.killAfterAcks ?? 0)
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
