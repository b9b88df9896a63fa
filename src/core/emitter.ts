/**
 * A tiny typed event emitter: `on` returns an unsubscribe function; a throwing listener is isolated so it
 * cannot break the protocol loop that emitted the event.
 */
export type Listener<T> = (event: T) => void

export class TypedEmitter<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>()

  constructor (private readonly onListenerError: (err: unknown) => void = () => {}) {}

  on<K extends keyof Events>(type: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(type)
    if (set === undefined) {
      set = new Set()
      this.listeners.set(type, set)
    }
    set.add(listener as Listener<never>)
    return () => { set.delete(listener as Listener<never>) }
  }

  emit<K extends keyof Events>(type: K, event: Events[K]): void {
    const set = this.listeners.get(type)
    if (set === undefined) return
    for (const listener of [...set]) {
      try {
        (listener as Listener<Events[K]>)(event)
      } catch (err) {
        this.onListenerError(err)
      }
    }
  }

  removeAll (): void {
    this.listeners.clear()
  }
}
