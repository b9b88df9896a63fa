/**
 * checkUpdate (src/replication/doc-entry.ts): what every remote Yjs update — from a peer or a y-websocket
 * client — must pass before it touches a doc. Here: how deep its values may nest.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DecodeError } from '../../src/core/errors.js'
import { MAX_VALUE_DEPTH, checkUpdate, valueDepth } from '../../src/replication/doc-entry.js'
import { nestedUpdate } from '../helpers/nested-update.js'

describe('checkUpdate: nesting of values', () => {
  it('counts nesting without recursion', () => {
    expect(valueDepth([1, 'a', null, new Uint8Array(3)])).toBe(0)
    expect(valueDepth([[1], { a: { b: [2] } }])).toBe(3)
    let deep: unknown = 1
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(valueDepth([deep])).toBeGreaterThan(MAX_VALUE_DEPTH) // stops counting past the limit, no stack overflow
  })

  it(`accepts values nested ${MAX_VALUE_DEPTH} levels and refuses ${MAX_VALUE_DEPTH + 1}, before the doc is touched`, () => {
    expect(() => { checkUpdate('d', nestedUpdate(MAX_VALUE_DEPTH)) }).not.toThrow()
    expect(() => { checkUpdate('d', nestedUpdate(MAX_VALUE_DEPTH + 1)) }).toThrow(DecodeError)
    expect(() => { checkUpdate('d', nestedUpdate(MAX_VALUE_DEPTH + 1)) }).toThrow(/deeper than 512 levels/)
  })

  it('refuses 2,000 levels, which Yjs itself applies (a peer process then answered GET with 500 past ~4,000)', () => {
    const update = nestedUpdate(2_000)
    const d = new Y.Doc()
    Y.applyUpdate(d, update)
    expect(d.getMap('kv').has('k')).toBe(true)
    expect(() => { checkUpdate('d', update) }).toThrow(DecodeError)
  })

  it('accepts ordinary nested values: maps, arrays, embeds and format attributes', () => {
    const d = new Y.Doc()
    d.getMap('kv').set('obj', { a: [1, { b: [2, 3] }], c: 'x' })
    d.getArray('list').push([[1, [2, [3]]]])
    d.getText('t').insert(0, 'hi', { bold: { nested: [true] } })
    d.getText('t').insertEmbed(2, { image: { src: 'x', size: [1, 2] } })
    expect(() => { checkUpdate('d', Y.encodeStateAsUpdate(d)) }).not.toThrow()
  })
})
