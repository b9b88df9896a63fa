/**
 * The `docker run` a newcomer copies (README "Deployment", the Dockerfile's header) against the image:
 * every peer-to-peer port the image EXPOSEs must be published, UDP included. Before, both published
 * 4001/tcp only: membership's datagrams (pings, acks, gossip: UDP on the same port) never reached the
 * container, and every other peer fell back to TCP for it, silently (only a metric counts it).
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, test } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8')

/** Each `docker run …` in `text`, its continuation lines joined (a Dockerfile comment's `#` dropped). */
function dockerRuns (text: string): string[] {
  const joined = text.split('\n').map(l => l.replace(/^\s*#\s?/, '')).join('\n').replace(/\\\n\s*/g, ' ')
  return joined.split('\n').filter(l => /\bdocker run\b/.test(l))
}

/** `-p [ip:]host:container[/proto]` → `container/proto` (tcp when not said). */
function published (run: string): string[] {
  return [...run.matchAll(/(?:^|\s)-p\s+(\S+)/g)].map(([, spec]) => {
    const [ports = '', proto = 'tcp'] = (spec as string).split('/')
    return `${ports.split(':').at(-1) ?? ''}/${proto}`
  })
}

/** The p2p ports the Dockerfile EXPOSEs (the HTTP one, 8080, is for the host to choose). */
function exposedP2p (): string[] {
  const line = read('Dockerfile').split('\n').find(l => l.startsWith('EXPOSE ')) ?? ''
  return line.split(/\s+/).slice(1).filter(p => p.startsWith('4001')).map(p => p.includes('/') ? p : `${p}/tcp`)
}

describe('the documented docker run', () => {
  test('the image exposes the p2p port in TCP and UDP', () => {
    expect(exposedP2p()).toEqual(['4001/tcp', '4001/udp'])
  })

  for (const file of ['README.md', 'Dockerfile']) {
    test(`${file}: each docker run publishes every p2p port the image exposes`, () => {
      const runs = dockerRuns(read(file))
      expect(runs.length, `a docker run in ${file}`).toBeGreaterThan(0)
      for (const run of runs) expect(published(run), run).toEqual(expect.arrayContaining(exposedP2p()))
    })
  }
})
