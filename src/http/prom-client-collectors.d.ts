// prom-client's default collectors, one module each (prom-client/lib/metrics/*.js; no types of their own).
declare module 'prom-client/lib/metrics/*.js' {
  import type { Registry } from 'prom-client'
  const collect: (registry: Registry, config?: object) => void
  export default collect
}
