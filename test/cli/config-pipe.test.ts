/**
 * A `--config` that is a named pipe: read until its writer closes it, but a pipe nobody writes to ends
 * start-up with one line naming the file after a few seconds (it hung forever: opening a pipe waits for a
 * writer). Process substitution, `--config <(...)`, still works, also when its command is slow to write.
 * `--config -` is standard input (it was a file named "-": ENOENT), a socket too (it was ENXIO); a terminal there, or as `--config
 * /dev/stdin`, is refused at once (it was read for 5 s before failing), run under `script` for a pty.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { NODE, PEER_JS, ROOT, cleanup, tempDir } from '../helpers/procs.js'

/** A config the peer refuses with a line that quotes it: proof the file was read, with no peer started. */
const CONFIG = '{"replicas": 88}'
const REFUSED = /--replicas must be an integer from 1 to 64, got 88\n$/

describe('--config from a pipe', () => {
  afterAll(cleanup)

  test('a named pipe with no writer: exit 2 within seconds, one line naming the file', async () => {
    const fifo = path.join(tempDir(), 'config.fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const started = Date.now()
    const proc = spawn(NODE, [PEER_JS, '--config', fifo, '--data-dir', tempDir()], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stderr = ''
    proc.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    const code = await Promise.race([
      new Promise<number | null>((resolve) => { proc.on('exit', resolve) }),
      new Promise<string>((resolve) => { setTimeout(() => { proc.kill('SIGKILL'); resolve('still waiting after 15 s') }, 15_000) })
    ])
    expect(code).toBe(2)
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(stderr).toBe(`murmur: cannot read --config ${fifo}: nothing could be read from it within 5 s (a named pipe nobody writes to?)\n`)
  }, 20_000)

  test('a named pipe whose writer comes a second later is read', () => {
    const fifo = path.join(tempDir(), 'config.fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const r = spawnSync('bash', ['-c', `(sleep 1; printf '%s' '${CONFIG}' > "$1") & exec "$2" "$3" --config "$1"`, 'sh', fifo, NODE, PEER_JS], { cwd: ROOT, encoding: 'utf8', timeout: 15_000 })
    expect(r.status, r.stderr).toBe(2)
    expect(r.stderr).toMatch(REFUSED)
  })

  test('process substitution, --config <(...): read, at once or from a command slow to write', () => {
    for (const command of [`echo '${CONFIG}'`, `sleep 1; echo '${CONFIG}'`]) {
      const r = spawnSync('bash', ['-c', `"$1" "$2" --config <(${command})`, 'sh', NODE, PEER_JS], { cwd: ROOT, encoding: 'utf8', timeout: 15_000 })
      expect(r.status, `${command}: ${r.stderr}`).toBe(2)
      expect(r.stderr, command).toMatch(/^murmur: \/dev\/fd\/\d+: "replicas": /)
      expect(r.stderr, command).toMatch(REFUSED)
    }
  })

  test('--config - reads standard input: a pipe, a redirected file', () => {
    const file = path.join(tempDir(), 'peer.json')
    for (const command of [`echo '${CONFIG}' | "$1" "$2" --config -`, `echo '${CONFIG}' > "$3"; "$1" "$2" --config - < "$3"`]) {
      const r = spawnSync('bash', ['-c', command, 'sh', NODE, PEER_JS, file], { cwd: ROOT, encoding: 'utf8', timeout: 15_000 })
      expect(r.status, `${command}: ${r.stderr}`).toBe(2)
      expect(r.stderr, command).toBe('murmur: standard input (--config -): "replicas": --replicas must be an integer from 1 to 64, got 88\n')
    }
  })

  test('--config - reads standard input a socket (Node\'s spawn with stdin \'pipe\', a supervisor): it was "ENXIO"', () => {
    const r = spawnSync(NODE, [PEER_JS, '--config', '-'], { cwd: ROOT, input: CONFIG, encoding: 'utf8', timeout: 15_000 })
    expect(r.status, r.stderr).toBe(2)
    expect(r.stderr).toBe('murmur: standard input (--config -): "replicas": --replicas must be an integer from 1 to 64, got 88\n')
  })

  // script(1) runs the peer on a pseudo-terminal; its own stdin stays open (nothing typed), as at a shell.
  test.skipIf(!existsSync('/usr/bin/script')).each(['-', '/dev/stdin'])('standard input a terminal: --config %s fails at once, exit 2', async (config) => {
    const started = Date.now()
    const proc = spawn('script', ['-qec', `"${NODE}" "${PEER_JS}" --config ${config} --data-dir "${tempDir()}"`, '/dev/null'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    let output = ''
    proc.stdout.on('data', (d: Buffer) => { output += d.toString() })
    const code = await Promise.race([
      new Promise<number | null>((resolve) => { proc.on('exit', resolve) }),
      new Promise<string>((resolve) => { setTimeout(() => { proc.kill('SIGKILL'); resolve('still waiting after 10 s') }, 10_000) })
    ])
    proc.stdin.end()
    expect(code, output).toBe(2)
    expect(Date.now() - started).toBeLessThan(3_000)
    expect(output.replace(/\r\n/g, '\n')).toBe(`murmur: cannot read --config ${config}: standard input is a terminal: pipe or redirect the settings in (--config - < peer.json), or name the file\n`)
  }, 30_000)
})
