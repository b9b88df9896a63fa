/**
 * Seeds for simulation tests: fixed by default (CI is deterministic), overridable with MURMUR_SEED, and
 * printed with a replay command whenever a test fails.
 */
import { onTestFailed } from 'vitest'

/** The seed to use: MURMUR_SEED if set, else `fallback`. Registers the replay hint for the current test. */
export function useSeed (fallback: number, file: string, testName: string): number {
  const env = process.env.MURMUR_SEED
  const seed = env !== undefined && env !== '' ? Number(env) : fallback
  if (!Number.isSafeInteger(seed)) throw new Error(`MURMUR_SEED must be an integer, got ${env}`)
  onTestFailed(() => {
    console.error(`\nreplay with: MURMUR_SEED=${seed} npx vitest run ${file} -t ${JSON.stringify(testName)}\n`)
  })
  return seed
}
