/**
 * Persistent identity: same data dir ⇒ same PeerId; the key file is 0600; a corrupt or unreadable key is
 * a named error, never a silently new identity.
 */
import { mkdtemp, mkdir, readFile, readlink, rm, stat, symlink, writeFile, chmod } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { IDENTITY_FILE, loadOrCreateIdentity } from '../../src/net/index.js'
import type { Libp2pTransport } from '../../src/net/index.js'
import { startTransport } from './helpers.js'

describe('persistent identity', () => {
  let root: string
  const started: Libp2pTransport[] = []
  beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'murmur-id-')) })
  afterEach(async () => {
    await Promise.all(started.splice(0).map(async t => { await t.close(500) }))
    await rm(root, { recursive: true, force: true })
  })

  it('creates the directory and a 0600 key, and loads the same identity again', async () => {
    const dir = join(root, 'nested', 'data')
    const first = await loadOrCreateIdentity(dir)
    expect(first.created).toBe(true)
    expect(first.peerId).toMatch(/^12D3KooW/) // Ed25519
    const info = await stat(join(dir, IDENTITY_FILE))
    expect(info.mode & 0o777).toBe(0o600)
    const again = await loadOrCreateIdentity(dir)
    expect(again.created).toBe(false)
    expect(again.peerId).toBe(first.peerId)
    expect(await readFile(join(dir, IDENTITY_FILE))).toHaveLength(68) // protobuf-encoded Ed25519 key
  })

  it('gives a transport the same PeerId across restarts with the same data dir', async () => {
    const a = await startTransport({ dataDir: root })
    started.push(a)
    const id = a.localId
    await a.close(500)
    const b = await startTransport({ dataDir: root })
    started.push(b)
    expect(b.localId).toBe(id)
    const other = await startTransport({ dataDir: join(root, 'other') })
    started.push(other)
    expect(other.localId).not.toBe(id)
  })

  it('refuses a key file readable by other users (IdentityError), leaving it as it is', async () => {
    const { peerId } = await loadOrCreateIdentity(root)
    for (const mode of [0o644, 0o604, 0o640]) {
      await chmod(join(root, IDENTITY_FILE), mode)
      // 0640 is refused too unless the file is owned by root (looseSecretMode's PostgreSQL exception).
      if (mode === 0o640 && process.getuid?.() === 0) {
        expect((await loadOrCreateIdentity(root)).peerId).toBe(peerId)
        continue
      }
      await expect(loadOrCreateIdentity(root)).rejects.toMatchObject({ name: 'IdentityError', message: expect.stringMatching(/accessible to .*chmod 600/) })
      expect((await stat(join(root, IDENTITY_FILE))).mode & 0o777).toBe(mode)
    }
    await chmod(join(root, IDENTITY_FILE), 0o600)
    expect((await loadOrCreateIdentity(root)).peerId).toBe(peerId)
  })

  it.each([
    ['garbage', Uint8Array.from([1, 2, 3, 4, 5])],
    ['empty', new Uint8Array(0)]
  ])('refuses a corrupt key file (%s) with IdentityError, leaving it in place', async (_label, bytes) => {
    await writeFile(join(root, IDENTITY_FILE), bytes, { mode: 0o600 })
    await expect(loadOrCreateIdentity(root)).rejects.toMatchObject({ name: 'IdentityError', message: expect.stringMatching(/not a valid libp2p private key/) })
    await expect(startTransport({ dataDir: root })).rejects.toMatchObject({ name: 'IdentityError' })
    expect(await readFile(join(root, IDENTITY_FILE))).toEqual(Buffer.from(bytes))
  })

  it.skipIf(process.getuid?.() === 0)('refuses a key file it may not read with IdentityError', async () => {
    await loadOrCreateIdentity(root)
    await chmod(join(root, IDENTITY_FILE), 0o000)
    await expect(loadOrCreateIdentity(root)).rejects.toMatchObject({ name: 'IdentityError', message: expect.stringMatching(/cannot read/) })
  })

  it('refuses an unreadable key path with IdentityError', async () => {
    await mkdir(join(root, IDENTITY_FILE))
    await expect(loadOrCreateIdentity(root)).rejects.toMatchObject({ name: 'IdentityError', message: expect.stringMatching(/not a regular file/) })
  })

  it('refuses a key path that is a dangling symbolic link, naming it (not "vanished while being created")', async () => {
    // A key mounted from elsewhere (a secret volume) that is not there: not a first start, and no new identity.
    await symlink(join(root, 'missing-volume', 'peer.key'), join(root, IDENTITY_FILE))
    await expect(loadOrCreateIdentity(root)).rejects.toMatchObject({
      name: 'IdentityError',
      message: expect.stringMatching(/peer\.key is a symbolic link to .*missing-volume\/peer\.key, which does not exist/)
    })
    expect(await readlink(join(root, IDENTITY_FILE))).toBe(join(root, 'missing-volume', 'peer.key'))
  })
})
