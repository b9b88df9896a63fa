/** makeDirs (src/core/make-dirs.ts): `mkdir -p` that ends, on /proc too. */
import { mkdtemp, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { makeDirs } from '../../src/core/make-dirs.js'

describe('makeDirs', () => {
  it('makes every missing directory with the mode, and accepts one that exists', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'murmur-mkdirs-'))
    const deep = path.join(root, 'a', 'b', 'c')
    await makeDirs(deep, 0o700)
    for (const d of ['a', 'a/b', 'a/b/c']) {
      const info = await stat(path.join(root, d))
      expect(info.isDirectory()).toBe(true)
      expect(info.mode & 0o777).toBe(0o700)
    }
    await makeDirs(deep, 0o700)
    await makeDirs(path.relative(process.cwd(), deep))
  })

  it('fails with the system error where a directory cannot be made, instead of retrying forever', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'murmur-mkdirs-'))
    await writeFile(path.join(root, 'file'), 'x')
    await expect(makeDirs(path.join(root, 'file'))).rejects.toMatchObject({ code: 'ENOTDIR' })
    await expect(makeDirs(path.join(root, 'file', 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' })
    // /proc answers ENOENT for a new entry although its parent exists: Node's own recursive mkdir never
    // returns there (this test then times out).
    await expect(makeDirs('/proc/murmur-test/x')).rejects.toMatchObject({ code: 'ENOENT' })
  }, 10_000)

  it('names what is in the way: the directory itself, or the ancestor that is a file', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'murmur-mkdirs-'))
    const file = path.join(root, 'file')
    await writeFile(file, 'x')
    // It said "ENOTDIR: not a directory, mkdir '<dir>'" (or stat '<dir>/sub'), naming no culprit.
    await expect(makeDirs(file)).rejects.toThrow(`${file} is not a directory`)
    await expect(makeDirs(path.join(file, 'a', 'b'))).rejects.toThrow(`${path.join(file, 'a', 'b')} cannot be made: ${file} is not a directory`)
  })
})
