/**
 * Randomness, injected. Protocol code never calls Math.random: a seeded Random makes a simulation
 * replayable from its seed; peers use a seed from the OS.
 */
export interface Random {
  /** Uniform float in [0, 1). */
  next(): number
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number
  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[]
  /** Up to `count` distinct elements of `items`, in random order. `items` is not modified. */
  sample<T>(items: readonly T[], count: number): T[]
  /** An independent stream derived from this one, e.g. one per simulated node. */
  fork(): Random
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128-bit state, passes PractRand,
 * a few ns per draw. Not cryptographic, which protocol timing and target choice do not need.
 */
export class SeededRandom implements Random {
  private a: number
  private b: number
  private c: number
  private d: number

  constructor (seed: number) {
    // Split the seed into the four words with splitmix32 so that nearby seeds give unrelated streams.
    let s = seed >>> 0
    const mix = (): number => {
      s = (s + 0x9e3779b9) >>> 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.a = mix()
    this.b = mix()
    this.c = mix()
    this.d = mix()
    for (let i = 0; i < 12; i++) this.nextUint32()
  }

  private nextUint32 (): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0
    this.d = (this.d + 1) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0
    this.c = (this.c + t) >>> 0
    return t
  }

  next (): number {
    return this.nextUint32() / 4294967296
  }

  int (maxExclusive: number): number {
    if (maxExclusive <= 0) return 0
    return Math.floor(this.next() * maxExclusive)
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const tmp = items[i] as T
      items[i] = items[j] as T
      items[j] = tmp
    }
    return items
  }

  sample<T>(items: readonly T[], count: number): T[] {
    const n = Math.min(count, items.length)
    if (n <= 0) return []
    // Partial Fisher–Yates on an index copy: O(n) draws, O(len) copy.
    const copy = items.slice()
    for (let i = 0; i < n; i++) {
      const j = i + this.int(copy.length - i)
      const tmp = copy[i] as T
      copy[i] = copy[j] as T
      copy[j] = tmp
    }
    copy.length = n
    return copy
  }

  fork (): Random {
    return new SeededRandom(this.nextUint32() ^ Math.imul(this.nextUint32(), 0x2c1b3c6d))
  }
}

/** A Random seeded from the operating system's entropy, for real peers. */
export function systemRandom (): Random {
  const seed = new Uint32Array(1)
  globalThis.crypto.getRandomValues(seed)
  return new SeededRandom(seed[0] ?? Date.now())
}
