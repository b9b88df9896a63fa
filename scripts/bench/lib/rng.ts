/**
 * A benchmark's choices — victims, phases, writers — drawn from the project's seeded generator
 * (`SeededRandom`), so they replay from `--seed`. Protocol code gets its own injected Random.
 */
import { SeededRandom } from '../../../dist/core/random.js'

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [0, n). */
  int(n: number): number
  pick<T>(items: readonly T[]): T
}

export function seededRng (seed: number): Rng {
  const random = new SeededRandom(seed)
  return {
    next: () => random.next(),
    int: (n) => random.int(n),
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError('pick from an empty list')
      return items[random.int(items.length)] as T
    }
  }
}
