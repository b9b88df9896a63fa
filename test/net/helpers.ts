/**
 * Shared helpers for the libp2p transport tests: start a transport on 127.0.0.1 with short timeouts,
 * and bounded real-time waits.
 */
import { createLogger, formatFields } from '../../src/core/logger.js'
import type { Logger, LogLevelName } from '../../src/core/logger.js'
import { createLibp2pTransport } from '../../src/net/index.js'
import type { Libp2pTransport, Libp2pTransportInit } from '../../src/net/index.js'

/** Set MURMUR_TEST_LOG=debug to see the transports' log lines. */
const LOG_LEVEL = (process.env.MURMUR_TEST_LOG ?? 'silent') as LogLevelName

export const LOOPBACK = '/ip4/127.0.0.1/tcp/0'
/** Short bounds keep the suite fast; loopback dials take ~10 ms. */
export const TEST_DIAL_TIMEOUT_MS = 1000

export async function startTransport (init: Libp2pTransportInit = {}, name = 'peer'): Promise<Libp2pTransport> {
  return await createLibp2pTransport({
    listen: [LOOPBACK],
    dialTimeoutMs: TEST_DIAL_TIMEOUT_MS,
    logger: createLogger((level, component, message, fields) => {
      process.stderr.write(`${name} ${level} ${component} ${message} ${JSON.stringify(fields ?? {})}\n`)
    }, LOG_LEVEL),
    ...init
  })
}

/** Polls `cond` every 10 ms for at most `maxMs` of real time. */
export async function waitFor (cond: () => boolean, maxMs: number, what: string): Promise<void> {
  const deadline = Date.now() + maxMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`not within ${maxMs} ms: ${what}`)
    await sleep(10)
  }
}

export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

export interface CapturedLog {
  logger: Logger
  /** `LEVEL component message k=v` lines, in order. */
  lines: string[]
}

/** A logger that records every line at debug and above (and echoes them when MURMUR_TEST_LOG is set). */
export function captureLog (name: string): CapturedLog {
  const lines: string[] = []
  const logger = createLogger((level, component, message, fields) => {
    const line = `${level.toUpperCase()} ${component} ${message}${formatFields(fields)}`
    lines.push(line)
    if (LOG_LEVEL !== 'silent') process.stderr.write(`${name} ${line}\n`)
  }, 'debug')
  return { logger, lines }
}

/** Unsigned LEB128, as a length prefix is written on the wire. */
export function varint (n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 0x80)
  }
  out.push(n)
  return out
}
