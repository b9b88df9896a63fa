// prom-client's parts, one module each (prom-client/lib/*.js; no types of their own): its index also
// loads the Pushgateway (node:http, node:https, node:zlib), the cluster aggregator (node:cluster) and
// Summary, none of which a peer uses (prom.ts).
declare module 'prom-client/lib/metrics/*.js' {
  import type { Registry } from 'prom-client'
  const collect: (registry: Registry, config?: object) => void
  export default collect
}
declare module 'prom-client/lib/registry.js' {
  import type { Registry } from 'prom-client'
  const RegistryClass: typeof Registry
  export default RegistryClass
}
declare module 'prom-client/lib/counter.js' {
  import type { Counter } from 'prom-client'
  const CounterClass: typeof Counter
  export default CounterClass
}
declare module 'prom-client/lib/gauge.js' {
  import type { Gauge } from 'prom-client'
  const GaugeClass: typeof Gauge
  export default GaugeClass
}
declare module 'prom-client/lib/histogram.js' {
  import type { Histogram } from 'prom-client'
  const HistogramClass: typeof Histogram
  export default HistogramClass
}
