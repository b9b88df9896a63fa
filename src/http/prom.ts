/**
 * The four prom-client classes murmur uses, loaded one module each instead of through prom-client's index
 * (issue 11: an idle peer's memory). The index also loads the Pushgateway (node:http, node:https,
 * node:zlib), the cluster aggregator (node:cluster), Summary and its t-digest: modules a peer never uses,
 * held in every peer's memory. These are the very classes the index exports: its types describe them.
 */
/// <reference path="./prom-client-collectors.d.ts" />
import type * as Prom from 'prom-client'
import CounterClass from 'prom-client/lib/counter.js'
import GaugeClass from 'prom-client/lib/gauge.js'
import HistogramClass from 'prom-client/lib/histogram.js'
import RegistryClass from 'prom-client/lib/registry.js'

export const Registry: typeof Prom.Registry = RegistryClass
export type Registry = Prom.Registry
export const Counter: typeof Prom.Counter = CounterClass
export type Counter<T extends string = string> = Prom.Counter<T>
export const Gauge: typeof Prom.Gauge = GaugeClass
export type Gauge<T extends string = string> = Prom.Gauge<T>
export const Histogram: typeof Prom.Histogram = HistogramClass
export type Histogram<T extends string = string> = Prom.Histogram<T>
