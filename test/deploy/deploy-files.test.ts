/**
 * The deployment files (Dockerfile, deploy/compose.yaml, deploy/kubernetes/murmur.yaml, deploy/systemd/)
 * parsed and checked against the code, since no Docker engine or cluster runs here: every path they use
 * exists, every flag, MURMUR_* variable and murmur command they use is one the CLI knows, the settings
 * they give are accepted by the real parser, and the security properties hold (non-root, token,
 * owner-only or root-group secrets, probes on /health and /ready).
 */
import { spawn, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { parseAllDocuments, parse as parseYaml } from 'yaml'
import { parseArgs } from '../../src/cli/args.js'
import { COMMANDS } from '../../src/cli/commands.js'
import { SHUTDOWN_DEADLINE_MS } from '../../src/cli/run-peer.js'
import { PEER_FLAGS, envName } from '../../src/cli/settings.js'
import { NODE, cleanup, parseBanner, tempDir, waitFor } from '../helpers/procs.js'

const ROOT = path.resolve(import.meta.dirname, '../..')
const read = (f: string): string => readFileSync(path.join(ROOT, f), 'utf8')

/** The variables the agent and the murmur commands read. */
const KNOWN_ENV = new Set([...PEER_FLAGS.map(f => envName(f.flag)), 'MURMUR_CONFIG', 'MURMUR_HTTP_ADDR'])
const KNOWN_FLAGS = new Set([...PEER_FLAGS.map(f => f.flag), '--config', '--http-addr', '--data-dir', '--http-token-file'])
const COMMAND_NAMES = new Set(['agent', ...Object.keys(COMMANDS)])

/** Checks a settings environment the way the agent would read it; returns the options. */
function agentAccepts (env: Record<string, string>, argv: string[] = [], files: Record<string, string> = {}): ReturnType<typeof parseArgs> {
  for (const name of Object.keys(env).filter(n => n.startsWith('MURMUR_'))) expect(KNOWN_ENV, name).toContain(name)
  const r = parseArgs(argv, env, { readFile: (f) => { const t = files[f]; if (t === undefined) throw new Error(`no ${f}`); return t } })
  expect(r.kind, JSON.stringify(r)).toBe('run')
  return r
}

/** A `murmur` command line as the files write it: its command exists and its flags are known. */
function checkMurmurArgs (args: readonly string[]): void {
  expect(COMMAND_NAMES, args.join(' ')).toContain(args[0])
  for (const a of args.filter(x => x.startsWith('--'))) expect(KNOWN_FLAGS, a).toContain(a.split('=')[0])
}

interface Instruction { op: string, args: string }

function dockerfile (text: string): Instruction[] {
  const out: Instruction[] = []
  const joined = text.replace(/\\\n/g, ' ').split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#'))
  for (const line of joined) {
    const m = /^([A-Z]+)\s+(.*)$/.exec(line)
    if (m !== null) out.push({ op: m[1] as string, args: m[2] as string })
  }
  return out
}

/**
 * .dockerignore as Docker reads it: each line a glob (`*` within a path segment, `**` across), matching a
 * path or any folder above it; `!` re-includes; the last matching line wins.
 */
function dockerignore (text: string): (rel: string) => boolean {
  const rules = text.split('\n').map(l => l.trim()).filter(l => l !== '' && !l.startsWith('#')).map((line) => {
    const negate = line.startsWith('!')
    const glob = (negate ? line.slice(1) : line).replace(/^\/+|\/+$/g, '')
    const source = glob.split(/(\*\*|\*|\?)/).map(part => part === '**' ? '.*' : part === '*' ? '[^/]*' : part === '?' ? '[^/]' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('')
    return { negate, re: new RegExp(`^${source}(/.*)?$`) }
  })
  return (rel) => {
    let ignored = false
    for (const r of rules) if (r.re.test(rel)) ignored = !r.negate
    return ignored
  }
}

describe('Dockerfile', () => {
  afterAll(cleanup) // the build test's folder
  const ins = dockerfile(read('Dockerfile'))
  const all = (op: string): string[] => ins.filter(i => i.op === op).map(i => i.args)
  const env: Record<string, string> = {}
  for (const e of all('ENV')) for (const m of e.matchAll(/(\w+)=(\S+)/g)) env[m[1] as string] = m[2] as string
  /** The HEALTHCHECK's command (exec form). */
  const healthcheckCommand = (): string[] => JSON.parse(/\bCMD\s+(\[.*\])$/.exec(all('HEALTHCHECK')[0] ?? '')?.[1] ?? 'null') as string[]

  test('multi-stage, non-root, a /data volume that is the data dir', () => {
    expect(all('FROM').length).toBeGreaterThanOrEqual(2)
    expect(all('FROM')[0]).toMatch(/ AS build$/)
    const users = all('USER')
    expect(users.at(-1)).toBe('node')
    expect(all('VOLUME')).toEqual(['["/data"]'])
    expect(env.MURMUR_DATA_DIR).toBe('/data')
  })

  test('every file it copies from the repository exists; the entry point is the one the build produces', () => {
    for (const c of all('COPY').filter(c => !c.startsWith('--from'))) {
      const sources = c.split(/\s+/).slice(0, -1)
      for (const s of sources) expect(existsSync(path.join(ROOT, s)), s).toBe(true)
    }
    expect(all('COPY').some(c => c.startsWith('--from=build /src/dist'))).toBe(true)
    expect(JSON.parse(all('ENTRYPOINT')[0] as string)).toEqual(['node', 'dist/murmur.js'])
    expect(existsSync(path.join(ROOT, 'src/murmur.ts'))).toBe(true)
    checkMurmurArgs(JSON.parse(all('CMD').at(-1) as string) as string[])
  })

  test('the build stage builds from what it copies (as .dockerignore lets it through), and the runtime stage finds what it copies from there', () => {
    // `docker build` cannot run here: the build stage's COPYs are replayed into an empty folder (its WORKDIR),
    // the checkout's node_modules stands in for `npm ci`, and `npm run build` runs there as in the image.
    const ignored = dockerignore(read('.dockerignore'))
    const stages = read('Dockerfile').split(/^FROM /m).slice(1).map(s => dockerfile(`FROM ${s}`))
    const [build, runtime] = stages as [Instruction[], Instruction[]]
    const workdir = build.find(i => i.op === 'WORKDIR')?.args ?? '/'
    const image = tempDir('murmur-docker-build-')
    for (const c of build.filter(i => i.op === 'COPY').map(i => i.args.split(/\s+/))) {
      const dest = path.join(image, c.at(-1) as string)
      for (const source of c.slice(0, -1)) {
        expect(ignored(source), `${source} is copied but .dockerignore keeps it out of the build context`).toBe(false)
        const from = path.join(ROOT, source)
        const to = statSync(from).isDirectory() || c.length > 2 || (c.at(-1) as string).endsWith('/') ? path.join(dest, statSync(from).isDirectory() ? '' : path.basename(source)) : dest
        mkdirSync(path.dirname(to), { recursive: true })
        cpSync(from, to, { recursive: true, filter: s => statSync(s).isDirectory() || !ignored(path.relative(ROOT, s)) })
      }
    }
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(image, 'node_modules'))
    expect(build.filter(i => i.op === 'RUN').some(i => /\bnpm run build\b/.test(i.args))).toBe(true)
    const script = (JSON.parse(read('package.json')) as { scripts: { build: string } }).scripts.build
    const r = spawnSync('sh', ['-c', script], {
      cwd: image,
      env: { ...process.env, PATH: `${path.join(ROOT, 'node_modules', '.bin')}:${path.dirname(NODE)}:${process.env.PATH ?? ''}` },
      encoding: 'utf8',
      timeout: 120_000
    })
    expect(r.status, `npm run build in the build stage failed:\n${r.stdout}\n${r.stderr}`).toBe(0)
    for (const c of runtime.filter(i => i.op === 'COPY' && i.args.startsWith('--from=build ')).map(i => i.args.split(/\s+/))) {
      const source = c[1] as string
      expect(source.startsWith(`${workdir}/`), source).toBe(true)
      expect(existsSync(path.join(image, path.relative(workdir, source))), `the runtime stage copies ${source}, which the build stage does not have`).toBe(true)
    }
    // What the image serves: the /mesh page and the example app's notes pad, bundled by the build.
    for (const built of ['dist/murmur.js', 'dist/web/mesh/mesh.js', 'examples/chat-counter/public/notes.js']) expect(existsSync(path.join(image, built)), built).toBe(true)
  }, 180_000)

  test('HEALTHCHECK is `murmur health`, with no address of its own; the settings are accepted (with a token, as the image requires)', () => {
    const hc = all('HEALTHCHECK')[0] as string
    const port = /:(\d+)$/.exec(env.MURMUR_HTTP ?? '')?.[1]
    const [node, script, ...args] = healthcheckCommand()
    expect([node, script]).toEqual(['node', 'dist/murmur.js'])
    expect(args).toEqual(['health'])
    checkMurmurArgs(args)
    expect(hc).not.toMatch(/:\d+|--http-addr|MURMUR_HTTP_ADDR/) // the address is the agent's own record
    expect(env.MURMUR_HTTP_ADDR).toBeUndefined() // would pin the commands to one port whatever MURMUR_HTTP says
    // The libp2p port in TCP, the same port in UDP (membership's datagrams), the HTTP port.
    expect(all('EXPOSE')[0]?.split(' ')).toEqual(['4001', '4001/udp', port])
    expect(env.MURMUR_LISTEN).toBe('/ip4/0.0.0.0/tcp/4001')
    agentAccepts({ ...env, MURMUR_HTTP_TOKEN: 'x'.repeat(16) })
    // Without a token the agent refuses a public HTTP address: the image is not open by default.
    expect(parseArgs([], env)).toMatchObject({ kind: 'error', message: expect.stringMatching(/reachable from other machines/) })
  })

  test('the HEALTHCHECK follows the configured HTTP port: the runtime stage replayed with MURMUR_HTTP on another port', async () => {
    // Before: the check fetched http://127.0.0.1:8080/health whatever MURMUR_HTTP said, so a container
    // serving on another port was unhealthy for ever. Replayed as Docker runs them: ENTRYPOINT + CMD with the
    // image's ENV (the data dir a temp folder, the port another one), then the HEALTHCHECK command in WORKDIR
    // with the same environment; the checkout stands in for /opt/murmur.
    const port = await freePort()
    expect(port).not.toBe(8080)
    const runtime: Record<string, string> = {
      ...env, MURMUR_DATA_DIR: tempDir('murmur-docker-data-'), MURMUR_HTTP: `0.0.0.0:${port}`,
      MURMUR_LISTEN: '/ip4/127.0.0.1/tcp/0', MURMUR_HTTP_TOKEN: 'h'.repeat(16), MURMUR_PROFILE: 'local'
    }
    const processEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...runtime }
    const entry = [...JSON.parse(all('ENTRYPOINT')[0] as string) as string[], ...JSON.parse(all('CMD').at(-1) as string) as string[]]
    expect(entry[0]).toBe('node')
    const agent = spawn(NODE, entry.slice(1), { cwd: ROOT, env: processEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    agent.stdout.on('data', (d: Buffer) => { out += d.toString() })
    agent.stderr.on('data', (d: Buffer) => { out += d.toString() })
    const exited = new Promise<void>((resolve) => { agent.on('exit', () => { resolve() }) })
    const check = (): number | null => {
      const [, ...args] = healthcheckCommand()
      return spawnSync(NODE, args, { cwd: ROOT, env: processEnv, encoding: 'utf8', timeout: 10_000 }).status
    }
    try {
      await waitFor('the agent\'s banner', () => parseBanner(out)?.http, 20_000)
      expect(parseBanner(out)?.http).toBe(`http://0.0.0.0:${port}`)
      expect(check(), out).toBe(0)
    } finally {
      agent.kill('SIGTERM')
      await exited
    }
    expect(check()).toBe(1) // nobody answers: unhealthy
  }, 60_000)
})

/** A TCP port nothing listens on now (bound, then released). */
function freePort (): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => { resolve(port) })
    })
  })
}

describe('deploy/compose.yaml', () => {
  const compose = parseYaml(read('deploy/compose.yaml'), { merge: true }) as {
    services: Record<string, { environment: Record<string, string>, entrypoint?: string[], ports?: string[], networks: Record<string, { aliases: string[] }>, build: { context: string, dockerfile: string } }>
  }
  const services = Object.entries(compose.services)

  test('three peers and the example app, one network alias they all bootstrap through', () => {
    expect(services.map(([n]) => n).sort()).toEqual(['app', 'peer-1', 'peer-2', 'peer-3'])
    for (const [name, s] of services) {
      expect(existsSync(path.resolve(ROOT, 'deploy', s.build.context, s.build.dockerfile)), name).toBe(true)
      const alias = s.networks.mesh?.aliases[0]
      expect(s.environment.MURMUR_BOOTSTRAP).toBe(`/dns4/${alias}/tcp/4001`)
      expect(s.environment.MURMUR_ADVERTISE).toBe(`/dns4/${name}/tcp/4001`)
      for (const p of s.ports ?? []) expect(p, `${name} publishes on loopback only`).toMatch(/^127\.0\.0\.1:/)
      expect(s.environment.MURMUR_HTTP_TOKEN).toMatch(/^\$\{MURMUR_HTTP_TOKEN:\?/)
      const env = { ...s.environment, MURMUR_HTTP_TOKEN: 't'.repeat(16), MURMUR_HTTP: '0.0.0.0:8080', MURMUR_DATA_DIR: '/data' }
      agentAccepts(env)
    }
    const app = compose.services.app
    expect(app?.entrypoint?.[0]).toBe('node')
    expect(existsSync(path.join(ROOT, app?.entrypoint?.[1] ?? 'missing'))).toBe(true)
  })
})

describe('deploy/kubernetes/murmur.yaml', () => {
  const docs = parseAllDocuments(read('deploy/kubernetes/murmur.yaml')).map(d => d.toJS() as { kind: string, metadata: { name: string }, spec: Record<string, unknown> })
  const byKind = (kind: string): Array<typeof docs[number]> => docs.filter(d => d?.kind === kind)
  const sts = byKind('StatefulSet')[0] as unknown as { spec: { serviceName: string, replicas: number, template: { spec: PodSpec } } }
  interface Container { args: string[], lifecycle?: { preStop?: { exec?: { command: string[] } } }, env: Array<{ name: string, value?: string, valueFrom?: { fieldRef: { fieldPath: string } } }>, livenessProbe: { httpGet: { path: string, port: string } }, readinessProbe: { exec: { command: string[] } }, volumeMounts: Array<{ name: string, mountPath: string }>, ports: Array<{ name: string, containerPort: number }>, securityContext: Record<string, unknown> }
  interface PodSpec { terminationGracePeriodSeconds: number, containers: Container[], securityContext: Record<string, unknown>, volumes: Array<{ name: string, secret?: { defaultMode: number } }>, enableServiceLinks: boolean }
  const pod = sts.spec.template.spec
  const c = pod.containers[0] as Container
  const env = Object.fromEntries(c.env.filter(e => e.value !== undefined).map(e => [e.name, e.value as string]))
  /** `env` once Kubernetes substituted $(VAR), for a sample pod. */
  const sample: Record<string, string> = { POD_IP: '10.1.2.3', POD_NAMESPACE: 'default', POD_NAME: 'murmur-0' }
  const substituted = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\((\w+)\)/g, (_, n: string) => sample[n] ?? '')]))

  test('a StatefulSet whose serviceName is a headless Service publishing not-ready pods', () => {
    const headless = byKind('Service').find(s => s.metadata.name === sts.spec.serviceName) as unknown as { spec: { clusterIP: string, publishNotReadyAddresses: boolean, ports: Array<{ port: number }> } }
    expect(headless.spec.clusterIP).toBe('None')
    expect(headless.spec.publishNotReadyAddresses).toBe(true)
    expect(headless.spec.ports[0]?.port).toBe(4001)
    expect(sts.spec.replicas).toBeGreaterThanOrEqual(3)
    expect(pod.enableServiceLinks).toBe(false)
  })

  test('each pod bootstraps through the headless name and advertises its own IP', () => {
    expect(env.MURMUR_BOOTSTRAP).toBe(`/dns4/${sts.spec.serviceName}.$(POD_NAMESPACE).svc.cluster.local/tcp/4001`)
    expect(env.MURMUR_ADVERTISE).toBe('/ip4/$(POD_IP)/tcp/4001')
    const fromField = Object.fromEntries(c.env.filter(e => e.valueFrom !== undefined).map(e => [e.name, e.valueFrom?.fieldRef.fieldPath]))
    expect(fromField).toMatchObject({ POD_IP: 'status.podIP', POD_NAMESPACE: 'metadata.namespace', POD_NAME: 'metadata.name' })
    // The agent accepts these settings once Kubernetes substituted $(VAR).
    const r = agentAccepts(substituted)
    expect(r).toMatchObject({ options: { advertise: ['/ip4/10.1.2.3/tcp/4001'], bootstrap: ['/dns4/murmur.default.svc.cluster.local/tcp/4001'], name: 'murmur-0', pskFile: '/etc/murmur/swarm.key' } })
    checkMurmurArgs(c.args)
  })

  test('probes: liveness on /health, readiness through `murmur ready`; secrets and data where the settings say', () => {
    expect(c.livenessProbe.httpGet.path).toBe('/health')
    expect(c.ports.find(p => p.name === c.livenessProbe.httpGet.port)?.containerPort).toBe(Number(/:(\d+)$/.exec(env.MURMUR_HTTP ?? '')?.[1]))
    const [node, script, ...probeArgs] = c.readinessProbe.exec.command
    expect([node, script]).toEqual(['node', 'dist/murmur.js'])
    checkMurmurArgs(probeArgs)
    expect(env.MURMUR_HTTP_ADDR).toBe('127.0.0.1:8080')
    // MURMUR_HTTP_ADDR is where the murmur commands in the container (the readiness probe) find the agent,
    // over loopback; the agent serves on every interface, so the kubelet's httpGet on the pod IP reaches
    // /health. With a token and no --http-allow-host the Host is not checked: an allow-list would refuse the
    // kubelet's `Host: <pod IP>:8080` (403) and fail the liveness probe.
    const agent = agentAccepts(substituted)
    expect(agent).toMatchObject({ options: { http: { host: '0.0.0.0', port: Number(/:(\d+)$/.exec(env.MURMUR_HTTP_ADDR ?? '')?.[1]) }, httpTokenFile: env.MURMUR_HTTP_TOKEN_FILE, httpAllowHosts: [] } })
    const mount = (name: string): string | undefined => c.volumeMounts.find(m => m.name === name)?.mountPath
    expect(mount('data')).toBe(env.MURMUR_DATA_DIR)
    for (const f of [env.MURMUR_PSK, env.MURMUR_HTTP_TOKEN_FILE]) expect(path.dirname(f ?? '')).toBe(mount('secrets'))
    // Root-owned secret files readable by the fsGroup only: what looseSecretMode accepts.
    expect(pod.volumes.find(v => v.name === 'secrets')?.secret?.defaultMode).toBe(0o440)
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, fsGroup: 1000 })
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true })
  })

  test('a stopping pod waits out its removal from the endpoints, then has the agent\'s whole shutdown within its grace period', () => {
    const [sleep, seconds, ...rest] = c.lifecycle?.preStop?.exec?.command ?? []
    expect(sleep).toBe('sleep')
    expect(rest).toEqual([])
    const wait = Number(seconds)
    expect(wait).toBeGreaterThanOrEqual(1)
    expect(wait * 1000 + SHUTDOWN_DEADLINE_MS).toBeLessThan(pod.terminationGracePeriodSeconds * 1000)
  })
})

describe('deploy/systemd', () => {
  const unit = read('deploy/systemd/murmur.service')
  const key = (k: string): string | undefined => new RegExp(`^${k}=(.*)$`, 'm').exec(unit)?.[1]

  test('runs `murmur agent --config` as its own user, reloads with SIGHUP, state owner-only', () => {
    const exec = (key('ExecStart') ?? '').split(/\s+/)
    expect(exec[0]).toMatch(/\/murmur$/)
    checkMurmurArgs(exec.slice(1))
    expect(key('ExecReload')).toBe('/bin/kill -HUP $MAINPID')
    expect(key('User')).toBe('murmur')
    expect(key('UMask')).toBe('0077')
    expect(key('StateDirectoryMode')).toBe('0700')
    expect(key('Environment')).toBe(`MURMUR_DATA_DIR=/var/lib/${key('StateDirectory') ?? ''}`)
    const config = exec[exec.indexOf('--config') + 1] as string
    // The example config file is accepted by the agent as the unit would load it.
    agentAccepts({ MURMUR_DATA_DIR: '/var/lib/murmur' }, ['--config', config], { [config]: read('deploy/systemd/murmur.json') })
  })

  test('the murmur commands its header suggests reach the agent: its data dir, and the token the config sets', () => {
    const settings = JSON.parse(read('deploy/systemd/murmur.json')) as Record<string, unknown>
    const dataDir = /^Environment=MURMUR_DATA_DIR=(.*)$/m.exec(unit)?.[1]
    const commands = [...unit.matchAll(/^#.*`murmur (members|ready|join|leave|tags|monitor|docs)\b([^`]*)`/gm)].map(m => [m[1] as string, ...(m[2] as string).trim().split(/\s+/).filter(a => a !== '')])
    expect(commands.length).toBeGreaterThan(0)
    for (const args of commands) {
      checkMurmurArgs(args)
      const flag = (name: string): string | undefined => args.includes(name) ? args[args.indexOf(name) + 1] : undefined
      expect(flag('--data-dir'), args.join(' ')).toBe(dataDir)
      // The agent requires this token on every route but /health: without it the command answers 401.
      expect(flag('--http-token-file'), args.join(' ')).toBe(settings['http-token-file'])
    }
  })
})
