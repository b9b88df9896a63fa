/**
 * `murmur` without a command, and `murmur help <command>`: usage errors are exit 2 with the usage on
 * stderr (the documented exit codes: 2 usage error), as git and Serf do for a bare invocation; help that
 * was asked for is stdout and exit 0.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, test } from 'vitest'
import { NODE, ROOT } from '../helpers/procs.js'
import { murmur } from './helpers.js'

const MURMUR = path.join(ROOT, 'dist', 'murmur.js')

describe('murmur usage', () => {
  test('no command: the usage on stderr, nothing on stdout, exit 2 (a script that forgot its command fails)', () => {
    const r = spawnSync(NODE, [MURMUR], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 })
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toMatch(/^Usage: murmur <command> \[options\]\n/)
  })

  test('--help, -h and help: the usage on stdout, exit 0', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = await murmur(args)
      expect(r.status, args.join(' ')).toBe(0)
      expect(r.stdout).toMatch(/^Usage: murmur <command> \[options\]\n/)
      expect(r.stderr).toBe('')
    }
  })

  // A command's own help used to stop at its one-line summary: nothing said how to point it at an agent.
  test('a command that talks to an agent names the agent options in its help; keygen, which does not, does not', async () => {
    for (const c of ['members', 'ready', 'join', 'tags', 'monitor', 'placement', 'docs']) {
      const r = await murmur([c, '--help'])
      expect(r.status, c).toBe(0)
      expect(r.stdout, c).toMatch(/\nOptions of the commands that talk to an agent:\n {2}--http-addr .*\n[^]*--data-dir <dir>[^]*--http-token-file <file>/)
    }
    expect((await murmur(['keygen', '--help'])).stdout).not.toMatch(/--http-addr/)
    expect((await murmur(['ready', '--help'])).stdout).toMatch(/in a mesh and caught up/)
  })

  test('help <command> is <command> --help; help of an unknown command is a usage error', async () => {
    for (const c of ['members', 'docs', 'keygen']) {
      const r = await murmur(['help', c])
      expect(r.status, c).toBe(0)
      expect(r.stdout).toBe((await murmur([c, '--help'])).stdout)
      expect(r.stdout).toMatch(new RegExp(`^Usage: murmur ${c}`))
    }
    const agent = spawnSync(NODE, [MURMUR, 'help', 'agent'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 })
    expect(agent.status).toBe(0)
    expect(agent.stdout).toMatch(/^Usage: murmur agent/)
    expect(await murmur(['help', 'frobnicate'])).toEqual({ status: 2, stdout: '', stderr: 'murmur: unknown command "frobnicate" (see murmur --help)\n' })
    expect((await murmur(['help', 'members', 'extra'])).status).toBe(2)
  })
})

// The agent's address as the operator typed it (--http-addr, MURMUR_HTTP_ADDR) is usage: one line, exit 2
// (it was exit 1, the code of an agent that refused or could not be reached). What the agent recorded in its
// data dir's http-addr file is a file refused: exit 1, as before.
describe('a malformed agent address', () => {
  test.each([
    ['127.0.0.1:27001/path', /^murmur: --http-addr "127\.0\.0\.1:27001\/path": expected host:port or http\(s\):\/\/host:port\n$/],
    ['ftp://127.0.0.1:27001', /^murmur: --http-addr "ftp:\/\/127\.0\.0\.1:27001": expected host:port/],
    ['127.0.0.1:0', /^murmur: --http-addr "127\.0\.0\.1:0": port 0 is not an address an agent listens on\n$/],
    ['::1:27001', /^murmur: --http-addr "::1:27001": an IPv6 host goes in brackets: \[::1\]:27001\n$/],
    ['::1', /^murmur: --http-addr "::1": an IPv6 host goes in brackets: \[::1\]:<port>\n$/],
    // Before: `--http-addr 8080` (as the agent's `--http 8080`) asked 0.0.31.144 on port 80; a host without a
    // port asked port 80; a user name or a #fragment was dropped in silence.
    ['8080', /^murmur: --http-addr "8080": a port alone is not an address: expected host:port \(an agent on this machine: 127\.0\.0\.1:8080\)\n$/],
    ['http://8080', /^murmur: --http-addr "http:\/\/8080": a port alone is not an address/],
    ['127.0.0.1', /^murmur: --http-addr "127\.0\.0\.1": expected host:port or http\(s\):\/\/host:port \(no port given\)\n$/],
    ['[::1]', /^murmur: --http-addr "\[::1\]": expected host:port or http\(s\):\/\/host:port \(no port given\)\n$/],
    ['user:pw@127.0.0.1:27001', /^murmur: --http-addr "user:pw@127\.0\.0\.1:27001": expected host:port or http\(s\):\/\/host:port\n$/],
    ['http://127.0.0.1:27001#x', /^murmur: --http-addr "http:\/\/127\.0\.0\.1:27001#x": expected host:port/]
  ])('--http-addr %s: one line, exit 2', async (addr, message) => {
    const r = await murmur(['members', '--http-addr', addr])
    expect(r).toEqual({ status: 2, stdout: '', stderr: expect.stringMatching(message) })
  })

  test('MURMUR_HTTP_ADDR the same: exit 2', async () => {
    const r = await murmur(['docs', 'ls'], undefined, { MURMUR_HTTP_ADDR: 'bad:addr:x' })
    expect(r).toEqual({ status: 2, stdout: '', stderr: 'murmur: MURMUR_HTTP_ADDR "bad:addr:x": expected host:port or http(s)://host:port\n' })
  })

  test('the http-addr file of a data dir holding no address: exit 1 (a file refused, not usage)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'murmur-bad-addr-file-'))
    try {
      writeFileSync(path.join(dir, 'http-addr'), 'not an address/x\n')
      const r = await murmur(['members', '--data-dir', dir])
      expect(r.status).toBe(1)
      expect(r.stderr).toMatch(/http-addr "not an address\/x": expected host:port/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

// `-` is standard output by the usual convention: `murmur keygen -` wrote the key to a file named "-" and said
// "start every peer with --psk -".
describe('murmur keygen -', () => {
  test('prints the key, as keygen without a file does; no file named "-"', () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'murmur-keygen-dash-'))
    try {
      const r = spawnSync(NODE, [MURMUR, 'keygen', '-'], { cwd, encoding: 'utf8', timeout: 20_000 })
      expect(r.stderr).toBe('')
      expect(r.status).toBe(0)
      expect(r.stdout).toMatch(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n?$/)
      expect(existsSync(path.join(cwd, '-'))).toBe(false)
    } finally {
      rmSync(cwd, { recursive: true, force: true })
    }
  })
})
