/**
 * A secret file named by the environment or the config file that cannot be used: the message says where
 * the name came from (src/cli/secrets.ts). It named the flag only — "cannot read --http-token-file
 * /run/secrets/token: ENOENT" for a MURMUR_HTTP_TOKEN_FILE the operator set, a flag nowhere in the command.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { parseArgs } from '../../src/cli/args.js'
import { loadCliSecrets } from '../../src/cli/secrets.js'
import { InsecureFileError } from '../../src/core/errors.js'

const dir = mkdtempSync(path.join(tmpdir(), 'murmur-secrets-origin-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

/** What loadCliSecrets refuses the options parsed from `argv`, `env` and a config file holding `config`, with. */
async function refusal (argv: string[], env: Record<string, string>, config?: Record<string, unknown>): Promise<unknown> {
  const files = config === undefined ? {} : { 'murmur.json': JSON.stringify(config) }
  const parsed = parseArgs([...argv, ...(config === undefined ? [] : ['--config', 'murmur.json'])], env, { readFile: (f) => (files as Record<string, string>)[f] ?? '' })
  if (parsed.kind !== 'run') throw new Error(`not parsed: ${JSON.stringify(parsed)}`)
  return await loadCliSecrets(parsed.options).then(() => 'loaded', (err: unknown) => err)
}

describe('a secret file that cannot be used says where its name came from', () => {
  const missing = path.join(dir, 'missing')

  test('from the environment', async () => {
    const err = await refusal([], { MURMUR_HTTP_TOKEN_FILE: missing })
    expect((err as Error).message).toBe(`MURMUR_HTTP_TOKEN_FILE: cannot read --http-token-file ${missing}: ENOENT`)
    expect(((await refusal([], { MURMUR_PSK: missing })) as Error).message).toBe(`MURMUR_PSK: cannot read --psk file ${missing}: ENOENT`)
  })

  test('from the config file, keeping the error\'s class', async () => {
    const open = path.join(dir, 'open-token')
    writeFileSync(open, 'a-token-of-twenty-chars\n')
    chmodSync(open, 0o644)
    const err = await refusal([], {}, { 'http-token-file': open })
    expect(err).toBeInstanceOf(InsecureFileError)
    expect((err as Error).message).toMatch(new RegExp(`^murmur\\.json: "http-token-file": --http-token-file ${open} is accessible to every user`))
  })

  test('from the command line: the flag alone, as before', async () => {
    expect(((await refusal(['--http-token-file', missing], { MURMUR_HTTP_TOKEN_FILE: path.join(dir, 'other') })) as Error).message).toBe(`cannot read --http-token-file ${missing}: ENOENT`)
  })
})
