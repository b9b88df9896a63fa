/**
 * A `--config` that is a named pipe: read until its writer closes it, but a pipe nobody writes to ends
 * start-up with one line naming the file after a few seconds (it hung forever: opening a pipe waits for a
 * writer). Process substitution, `--config <(...)`, still works, also when its command is slow to write.
 */
import { spawn, spawnSync } from 'node:child_process'
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
})
