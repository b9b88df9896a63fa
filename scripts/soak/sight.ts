/**
 * Who sees whom alive, asked through each peer's GET /members: whether every observer lists every subject
 * alive, and for a heal or restart line (Sight) which observers saw everyone last and whom they still missed.
 */
import type { Mesh, Slot } from './mesh.ts'

/** Every observer lists every subject as alive, all in one pass (asked one after another). */
export async function allSeeAlive (mesh: Mesh, observers: readonly Slot[], subjects: readonly Slot[]): Promise<boolean> {
  for (const o of observers) if (!await seesAlive(mesh, o, subjects)) return false
  return true
}

/** `slot` lists every subject as alive. */
export async function seesAlive (mesh: Mesh, observer: Slot, subjects: readonly Slot[]): Promise<boolean> {
  return (await notSeenAlive(mesh, observer, subjects)).length === 0
}

type MemberList = Array<{ peerId: string, state: string }>
type AskMembers = (observer: Slot) => Promise<MemberList>

const askMembers = (mesh: Mesh): AskMembers => async (observer) => (await mesh.api<MemberList>(observer, 'GET', '/members')).body

/** The subjects `observer` does not list as alive, with the state it gives them ('unknown': not listed). */
async function notSeenAlive (mesh: Mesh | AskMembers, observer: Slot, subjects: readonly Slot[]): Promise<Array<{ subject: Slot, state: string }>> {
  const list = await (typeof mesh === 'function' ? mesh : askMembers(mesh))(observer)
  const states = new Map(list.map(m => [m.peerId, m.state]))
  return subjects.filter(s => states.get(s.id) !== 'alive').map(subject => ({ subject, state: states.get(subject.id) ?? 'unknown' }))
}

/**
 * Who saw everyone alive last, and whom they were still missing just before: "all alive everywhere in 24.9 s"
 * alone does not say which observer held which member dead (the peers' logs rate-limit their member lines).
 */
export class Sight {
  private readonly seenAt = new Map<Slot, number>()
  private readonly missed = new Map<Slot, Array<{ subject: Slot, state: string }>>()
  /** Questions an observer did not answer (an error, or no answer within the HTTP timeout): a busy peer's delay is often these. */
  private readonly unanswered = new Map<Slot, number>()
  private readonly ask: AskMembers
  private readonly since: number

  /** `mesh`: the soak's (asks GET /members), or any way to ask an observer for its member list. */
  constructor (mesh: Mesh | AskMembers, since: number) {
    this.ask = typeof mesh === 'function' ? mesh : askMembers(mesh)
    this.since = since
  }

  async seesAlive (observer: Slot, subjects: readonly Slot[]): Promise<boolean> {
    const missing = await notSeenAlive(this.ask, observer, subjects).catch((err: unknown) => {
      this.unanswered.set(observer, (this.unanswered.get(observer) ?? 0) + 1)
      throw err
    })
    if (missing.length > 0) {
      this.missed.set(observer, missing)
      return false
    }
    if (!this.seenAt.has(observer)) this.seenAt.set(observer, Date.now() - this.since)
    return true
  }

  /** " (last: p22 24.9 s, missing p47 dead; …)": the three latest observers and what each missed at its last answer before. */
  lastText (): string {
    const latest = [...this.seenAt].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([o, ms]) => `${o.name} ${(ms / 1000).toFixed(1)} s${missedText(this.missed.get(o))}${this.unansweredText(o)}`)
    const never = [...new Set([...this.missed.keys(), ...this.unanswered.keys()])].filter(o => !this.seenAt.has(o)).slice(0, 3).map(o => `${o.name} never${missedText(this.missed.get(o))}${this.unansweredText(o)}`)
    const all = [...never, ...latest].slice(0, 3)
    return all.length === 0 ? '' : ` (last: ${all.join('; ')})`
  }

  private unansweredText (observer: Slot): string {
    const n = this.unanswered.get(observer) ?? 0
    return n === 0 ? '' : `, ${n} question(s) unanswered`
  }
}

function missedText (missed: ReadonlyArray<{ subject: Slot, state: string }> | undefined): string {
  if (missed === undefined || missed.length === 0) return ''
  const named = missed.slice(0, 3).map(m => `${m.subject.name} ${m.state}`).join(', ')
  return `, missing ${named}${missed.length > 3 ? ` +${missed.length - 3} more` : ''}`
}
