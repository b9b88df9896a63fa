/**
 * `murmur docs ls` shows every doc name so that no two look alike: a name of one space was a blank-looking
 * row, `a ` looked like `a`, and a name holding ESC looked like one holding the six characters `\u001b`.
 * Such names are shown as JSON strings; plain ones as they are. And nothing a doc holds (kv keys with control
 * characters, written before the agent refused them) reaches the terminal raw through `docs get`.
 */
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, test } from 'vitest'
import { murmur } from './helpers.js'

let server: Server | undefined
afterEach(async () => {
  await new Promise<void>((resolve) => { if (server?.listening === true) server.close(() => { resolve() }); else resolve() })
  server = undefined
})

/** A stand-in agent answering every GET with `body` as JSON. */
async function agentAnswering (body: unknown): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  })
  await new Promise<void>((resolve) => { server?.listen(0, '127.0.0.1', resolve) })
  return `127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** C0, DEL and C1 characters but the newline (what a terminal acts on). */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/

describe('murmur docs ls: names shown unambiguously', () => {
  test.each([
    ['plain', 'plain'],
    ['with inner space', 'with inner space'],
    ['文档名', '文档名'],
    ['a\\u001bb', 'a\\u001bb'],
    [' ', '" "'],
    ['', '""'],
    [' lead', '" lead"'],
    ['trail ', '"trail "'],
    ['two  spaces', '"two  spaces"'],
    ['nb\u00a0sp', '"nb\u00a0sp"'],
    ['\u200b', '"\u200b"'],
    ['a\u001bb', '"a\\u001bb"'],
    ['"quoted"', '"\\"quoted\\""']
  ])('%j is shown as %s', async (name, shown) => {
    const r = await murmur(['docs', 'ls', '--http-addr', await agentAnswering([{ name, digest: '0'.repeat(64), version: { a: 1 } }])])
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout).toBe(`${shown}  0000000000000000  1 writer(s)\n`)
  })

  test('docs get of a doc whose keys hold control characters prints them escaped', async () => {
    const doc = { name: 'd', digest: '0'.repeat(64), version: { a: 1 }, homes: [], content: { kv: { 'a\u001bb': 1, 'x\u001b]0;PWNED\u0007': 2, 'c1\u009b2J': 3, 'bidi\u202e': 4 } } }
    const addr = await agentAnswering(doc)
    for (const json of [[], ['--json']]) {
      const r = await murmur(['docs', 'get', 'd', ...json, '--http-addr', addr])
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).not.toMatch(RAW_CONTROL)
      expect(r.stdout).not.toContain('\u202e')
      expect(JSON.parse(r.stdout)).toEqual(doc)
    }
  })
})
