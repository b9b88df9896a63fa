/**
 * `murmur docs ls` lines its columns up by the columns a terminal gives each character: a CJK or emoji doc
 * name takes two per character (East Asian Wide/Fullwidth, emoji presentation), a combining accent none.
 * Padded by UTF-16 length, the digests of such rows started one or more columns off.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { displayWidth } from '../../src/core/display-width.js'
import { murmur } from './helpers.js'

let server: Server | undefined
afterEach(async () => {
  await new Promise<void>((resolve) => { if (server?.listening === true) server.close(() => { resolve() }); else resolve() })
  server = undefined
})

/** A stand-in agent whose GET /docs lists these names. */
async function agentListing (names: string[]): Promise<string> {
  const list = names.map((name, i) => ({ name, digest: `${i}`.repeat(64).slice(0, 64), version: { a: 1 } }))
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(list))
  })
  await new Promise<void>((resolve) => { server?.listen(0, '127.0.0.1', resolve) })
  return `127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('display width', () => {
  test.each([
    ['abc', 3], ['', 0], ['文档名', 6], ['한국어', 6], ['カタカナ', 8], ['ｆｕｌｌ', 8], ['🙂', 2], ['🙂🙂', 4],
    ['🇫🇷', 2], ['👨‍👩‍👧', 2], ['❤️', 2], ['cafe\u0301', 4], ['é', 1], ['ä文🙂', 5], ['\\u001b[31m', 10]
  ])('%j takes %d columns', (text, width) => {
    expect(displayWidth(text)).toBe(width)
  })
})

describe('murmur docs ls with wide names', () => {
  test('the digest column starts at the same terminal column on every row', async () => {
    const names = ['abc', '文档名', '🙂🙂', 'cafe\u0301', 'ｆｕｌｌ🇫🇷', 'plain-name']
    const r = await murmur(['docs', 'ls', '--http-addr', await agentListing(names)])
    expect(r.status, r.stderr).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(names.length)
    // Where each row's digest starts, in terminal columns.
    const starts = lines.map((line, i) => displayWidth(line.slice(0, line.indexOf(`${i}`.repeat(16)))))
    expect(new Set(starts)).toEqual(new Set([Math.max(...names.map(displayWidth)) + 2]))
  })
})
