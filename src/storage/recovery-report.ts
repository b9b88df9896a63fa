/**
 * What LevelDB dropped while opening the store. LevelDB 1.20 replays its write-ahead log at open and, its
 * paranoid checks being off, skips a damaged record (a flipped bit, a bad block) with one line in its own
 * info log, `LOG`, and then deletes the replayed log: writes in that record, acknowledged ones included,
 * are gone, and nothing else says so. A torn tail (a crash mid-write) is not reported: it only ever held
 * writes that were never acknowledged. The store reads `LOG`, which LevelDB starts afresh at each open.
 */
import { open } from 'node:fs/promises'
import { join } from 'node:path'

export interface RecoveryDrops {
  /** Bytes of log records LevelDB skipped. */
  droppedBytes: number
  /** How many times it skipped (one per damaged stretch). */
  places: number
  /** The first reason it gave, e.g. `Corruption: checksum mismatch`. */
  reason: string | undefined
}

/** LOG is a few lines per open; reading more than this would only be a sign of something else. */
const MAX_LOG_BYTES = 1024 * 1024
const DROPPED = /: dropping (\d+) bytes; (.*)$/

/** Reads the drops LevelDB reported in `<dir>/LOG` during this open; none if it cannot be read. */
export async function recoveryDrops (dir: string): Promise<RecoveryDrops> {
  const drops: RecoveryDrops = { droppedBytes: 0, places: 0, reason: undefined }
  let text: string
  try {
    const file = await open(join(dir, 'LOG'), 'r')
    try {
      const buffer = Buffer.alloc(MAX_LOG_BYTES)
      const { bytesRead } = await file.read(buffer, 0, MAX_LOG_BYTES, 0)
      text = buffer.subarray(0, bytesRead).toString('utf8')
    } finally {
      await file.close()
    }
  } catch {
    return drops
  }
  for (const line of text.split('\n')) {
    const m = DROPPED.exec(line)
    if (m === null) continue
    drops.droppedBytes += Number(m[1])
    drops.places++
    drops.reason ??= m[2]
  }
  return drops
}
