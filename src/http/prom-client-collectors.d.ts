// prom-client's parts, one module each (prom-client/lib/*.js; no types of their own): its index also
// loads the Pushgateway (node:http, node:https, node:zlib), the cluster aggregator (node:cluster) and
// Summary, none of which a peer uses (prom.ts).
declare module 'prom-client/lib/metrics/*.js' {
  import type { Registry } from 'prom-client'
  const collect: (registry: Registry, config?: object) => void
  export default collect
}
// The classes prom.ts loads: the very ones prom-client's index exports.
declare module 'prom-client/lib/registry.js' { export { Registry as default } from 'prom-client' }
declare module 'prom-client/lib/counter.js' { export { Counter as default } from 'prom-client' }
declare module 'prom-client/lib/gauge.js' { export { Gauge as default } from 'prom-client' }
declare module 'prom-client/lib/histogram.js' { export { Histogram as default } from 'prom-client' }
