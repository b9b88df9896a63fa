// The process helpers are shared with the scripts (partition-heal, benchmarks, soak).
export * from '../../scripts/lib/peers.ts'
