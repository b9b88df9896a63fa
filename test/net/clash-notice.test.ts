/**
 * Clash notices (src/net/clash-notice.ts) from a hostile or broken peer: anyone can send one, so a notice
 * makes at most one log line a minute, an oversized one is aborted unlogged, and the transport keeps serving.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import type { Libp2p } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CLASH_PROTOCOL, MAX_NOTICE_BYTES } from '../../src/net/clash-notice.js'
import type { Libp2pTransport } from '../../src/net/index.js'
import { captureLog, sleep, startTransport, waitFor } from './helpers.js'

describe('clash notices from any peer', () => {
  let a: Libp2pTransport
  let raw: Libp2p
  let log: ReturnType<typeof captureLog>
  const told = (): string[] => log.lines.filter(l => l.includes('another process runs with a copy of this peer\'s identity'))

  beforeEach(async () => {
    log = captureLog('a')
    a = await startTransport({ logger: log.logger }, 'a')
    raw = await createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()] })
  })
  afterEach(async () => {
    await Promise.all([a.close(500), raw.stop()])
  })

  async function notice (bytes: Uint8Array): Promise<string> {
    const s = await raw.dialProtocol(multiaddr(a.addresses()[0] as string), CLASH_PROTOCOL, { signal: AbortSignal.timeout(2000) })
    s.send(bytes)
    await s.close().catch(() => {})
    await waitFor(() => s.status !== 'open', 5_000, 'the notice stream ends')
    return s.status
  }

  it('logs one notice as an error naming who told it, quoted printable, and the next ones of the minute not at all', async () => {
    await notice(new TextEncoder().encode('/ip4/10.0.0.9/tcp/4001\u001b[31m'))
    await waitFor(() => told().length === 1, 5_000, 'the notice is logged')
    expect(told()[0]).toMatch(/^ERROR net /)
    expect(told()[0]).toContain(`toldBy=${raw.peerId.toString()}`)
    expect(told()[0]).not.toContain('\u001b')
    for (let i = 0; i < 5; i++) await notice(new TextEncoder().encode('/ip4/10.0.0.9/tcp/4001'))
    await sleep(200)
    expect(told()).toHaveLength(1)
  })

  it('aborts a notice over the size limit without logging it, and still takes a later one', async () => {
    const status = await notice(new Uint8Array(MAX_NOTICE_BYTES + 1).fill(65))
    expect(status).not.toBe('closed')
    await sleep(200)
    expect(told()).toHaveLength(0)
    await notice(new TextEncoder().encode('/ip4/10.0.0.9/tcp/4001'))
    await waitFor(() => told().length === 1, 5_000, 'the later notice is logged')
  })
})
