/**
 * Homes per document at most (`--replicas`, `replication.replicas`): more is a broadcast, not placement, and a
 * write could not ask for all of them (`?w=` stops at the same number). A module of its own so that the CLI,
 * which checks `--replicas` before loading the peer, imports nothing else of replication.
 */
export const MAX_REPLICAS = 64
