import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface PresenceFrame {
  type: number
  states?: DocStates
  viewRequest?: ViewRequest
  viewReply?: ViewReply
}

export namespace PresenceFrame {
  let _codec: Codec<PresenceFrame>

  export const codec = (): Codec<PresenceFrame> => {
    if (_codec == null) {
      _codec = message<PresenceFrame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.type != null && obj.type !== 0)) {
          w.uint32(8)
          w.uint32(obj.type)
        }

        if (obj.states != null) {
          w.uint32(18)
          DocStates.codec().encode(obj.states, w)
        }

        if (obj.viewRequest != null) {
          w.uint32(26)
          ViewRequest.codec().encode(obj.viewRequest, w)
        }

        if (obj.viewReply != null) {
          w.uint32(34)
          ViewReply.codec().encode(obj.viewReply, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.type = reader.uint32()
              break
            }
            case 2: {
              obj.states = DocStates.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.states
              })
              break
            }
            case 3: {
              obj.viewRequest = ViewRequest.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.viewRequest
              })
              break
            }
            case 4: {
              obj.viewReply = ViewReply.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.viewReply
              })
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.type`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield * DocStates.codec().stream(reader, reader.uint32(), `${prefix}.states`, {
                limits: opts.limits?.states
              })

              break
            }
            case 3: {
              yield * ViewRequest.codec().stream(reader, reader.uint32(), `${prefix}.viewRequest`, {
                limits: opts.limits?.viewRequest
              })

              break
            }
            case 4: {
              yield * ViewReply.codec().stream(reader, reader.uint32(), `${prefix}.viewReply`, {
                limits: opts.limits?.viewReply
              })

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface PresenceFrameTypeFieldEvent {
    field: '$.type'
    value: number
  }

  export interface PresenceFrameStatesDocFieldEvent {
    field: '$.states.doc'
    value: string
  }

  export interface PresenceFrameStatesFlagsFieldEvent {
    field: '$.states.flags'
    value: number
  }

  export interface PresenceFrameStatesEntriesClientFieldEvent {
    field: '$.states.entries[].client'
    value: number
    index: number
  }

  export interface PresenceFrameStatesEntriesClockFieldEvent {
    field: '$.states.entries[].clock'
    value: number
    index: number
  }

  export interface PresenceFrameStatesEntriesStateFieldEvent {
    field: '$.states.entries[].state'
    value: string
    index: number
  }

  export interface PresenceFrameViewRequestNonceFieldEvent {
    field: '$.viewRequest.nonce'
    value: number
  }

  export interface PresenceFrameViewReplyNonceFieldEvent {
    field: '$.viewReply.nonce'
    value: number
  }

  export interface PresenceFrameViewReplyNameFieldEvent {
    field: '$.viewReply.name'
    value: string
  }

  export interface PresenceFrameViewReplyHttpFieldEvent {
    field: '$.viewReply.http'
    value: string
  }

  export interface PresenceFrameViewReplyMembersIdFieldEvent {
    field: '$.viewReply.members[].id'
    value: string
    index: number
  }

  export interface PresenceFrameViewReplyMembersNameFieldEvent {
    field: '$.viewReply.members[].name'
    value: string
    index: number
  }

  export interface PresenceFrameViewReplyMembersStateFieldEvent {
    field: '$.viewReply.members[].state'
    value: number
    index: number
  }

  export interface PresenceFrameViewReplyMembersIncarnationFieldEvent {
    field: '$.viewReply.members[].incarnation'
    value: number
    index: number
  }

  export interface PresenceFrameViewReplyDocsNameFieldEvent {
    field: '$.viewReply.docs[].name'
    value: string
    index: number
  }

  export interface PresenceFrameViewReplyDocsDigestFieldEvent {
    field: '$.viewReply.docs[].digest'
    value: string
    index: number
  }

  export interface PresenceFrameViewReplyTruncatedFieldEvent {
    field: '$.viewReply.truncated'
    value: boolean
  }

  export interface PresenceFrameViewReplyBlockedFieldEvent {
    field: '$.viewReply.blocked[]'
    index: number
    value: string
  }

  export function encode (obj: Partial<PresenceFrame>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PresenceFrame.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PresenceFrame>): PresenceFrame {
    return decodeMessage(buf, PresenceFrame.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PresenceFrame>): Generator<PresenceFrameTypeFieldEvent | PresenceFrameStatesDocFieldEvent | PresenceFrameStatesFlagsFieldEvent | PresenceFrameStatesEntriesClientFieldEvent | PresenceFrameStatesEntriesClockFieldEvent | PresenceFrameStatesEntriesStateFieldEvent | PresenceFrameViewRequestNonceFieldEvent | PresenceFrameViewReplyNonceFieldEvent | PresenceFrameViewReplyNameFieldEvent | PresenceFrameViewReplyHttpFieldEvent | PresenceFrameViewReplyMembersIdFieldEvent | PresenceFrameViewReplyMembersNameFieldEvent | PresenceFrameViewReplyMembersStateFieldEvent | PresenceFrameViewReplyMembersIncarnationFieldEvent | PresenceFrameViewReplyDocsNameFieldEvent | PresenceFrameViewReplyDocsDigestFieldEvent | PresenceFrameViewReplyTruncatedFieldEvent | PresenceFrameViewReplyBlockedFieldEvent> {
    return streamMessage(buf, PresenceFrame.codec(), opts)
  }
}

export interface DocStates {
  doc: string
  flags: number
  entries: AwarenessEntry[]
}

export namespace DocStates {
  let _codec: Codec<DocStates>

  export const codec = (): Codec<DocStates> => {
    if (_codec == null) {
      _codec = message<DocStates>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.doc != null && obj.doc !== '')) {
          w.uint32(10)
          w.string(obj.doc)
        }

        if ((obj.flags != null && obj.flags !== 0)) {
          w.uint32(16)
          w.uint32(obj.flags)
        }

        if (obj.entries != null && obj.entries.length > 0) {
          for (const value of obj.entries) {
            w.uint32(26)
            AwarenessEntry.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          doc: '',
          flags: 0,
          entries: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.doc = reader.string()
              break
            }
            case 2: {
              obj.flags = reader.uint32()
              break
            }
            case 3: {
              if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements')
              }

              obj.entries.push(AwarenessEntry.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.entries$
              }))
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          entries: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.doc`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.flags`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements')
              }

              for (const evt of AwarenessEntry.codec().stream(reader, reader.uint32(), `${prefix}.entries[]`, {
                limits: opts.limits?.entries$
              })) {
                yield {
                  ...evt,
                  index: obj.entries
                }
              }

              obj.entries++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface DocStatesDocFieldEvent {
    field: '$.doc'
    value: string
  }

  export interface DocStatesFlagsFieldEvent {
    field: '$.flags'
    value: number
  }

  export interface DocStatesEntriesClientFieldEvent {
    field: '$.entries[].client'
    value: number
    index: number
  }

  export interface DocStatesEntriesClockFieldEvent {
    field: '$.entries[].clock'
    value: number
    index: number
  }

  export interface DocStatesEntriesStateFieldEvent {
    field: '$.entries[].state'
    value: string
    index: number
  }

  export function encode (obj: Partial<DocStates>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DocStates.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DocStates>): DocStates {
    return decodeMessage(buf, DocStates.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DocStates>): Generator<DocStatesDocFieldEvent | DocStatesFlagsFieldEvent | DocStatesEntriesClientFieldEvent | DocStatesEntriesClockFieldEvent | DocStatesEntriesStateFieldEvent> {
    return streamMessage(buf, DocStates.codec(), opts)
  }
}

export interface AwarenessEntry {
  client: number
  clock: number
  state?: string
}

export namespace AwarenessEntry {
  let _codec: Codec<AwarenessEntry>

  export const codec = (): Codec<AwarenessEntry> => {
    if (_codec == null) {
      _codec = message<AwarenessEntry>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.client != null && obj.client !== 0)) {
          w.uint32(8)
          w.uint32(obj.client)
        }

        if ((obj.clock != null && obj.clock !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.clock)
        }

        if (obj.state != null) {
          w.uint32(26)
          w.string(obj.state)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          client: 0,
          clock: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.client = reader.uint32()
              break
            }
            case 2: {
              obj.clock = reader.uint64Number()
              break
            }
            case 3: {
              obj.state = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.client`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.clock`,
                value: reader.uint64Number()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.state`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface AwarenessEntryClientFieldEvent {
    field: '$.client'
    value: number
  }

  export interface AwarenessEntryClockFieldEvent {
    field: '$.clock'
    value: number
  }

  export interface AwarenessEntryStateFieldEvent {
    field: '$.state'
    value: string
  }

  export function encode (obj: Partial<AwarenessEntry>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, AwarenessEntry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AwarenessEntry>): AwarenessEntry {
    return decodeMessage(buf, AwarenessEntry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AwarenessEntry>): Generator<AwarenessEntryClientFieldEvent | AwarenessEntryClockFieldEvent | AwarenessEntryStateFieldEvent> {
    return streamMessage(buf, AwarenessEntry.codec(), opts)
  }
}

export interface ViewRequest {
  nonce: number
}

export namespace ViewRequest {
  let _codec: Codec<ViewRequest>

  export const codec = (): Codec<ViewRequest> => {
    if (_codec == null) {
      _codec = message<ViewRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.nonce != null && obj.nonce !== 0)) {
          w.uint32(8)
          w.uint32(obj.nonce)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          nonce: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.nonce = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ViewRequestNonceFieldEvent {
    field: '$.nonce'
    value: number
  }

  export function encode (obj: Partial<ViewRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ViewRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ViewRequest>): ViewRequest {
    return decodeMessage(buf, ViewRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ViewRequest>): Generator<ViewRequestNonceFieldEvent> {
    return streamMessage(buf, ViewRequest.codec(), opts)
  }
}

export interface ViewReply {
  nonce: number
  name: string
  http?: string
  members: MemberView[]
  docs: DocView[]
  truncated: boolean
  blocked: string[]
}

export namespace ViewReply {
  let _codec: Codec<ViewReply>

  export const codec = (): Codec<ViewReply> => {
    if (_codec == null) {
      _codec = message<ViewReply>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.nonce != null && obj.nonce !== 0)) {
          w.uint32(8)
          w.uint32(obj.nonce)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(18)
          w.string(obj.name)
        }

        if (obj.http != null) {
          w.uint32(26)
          w.string(obj.http)
        }

        if (obj.members != null && obj.members.length > 0) {
          for (const value of obj.members) {
            w.uint32(34)
            MemberView.codec().encode(value, w)
          }
        }

        if (obj.docs != null && obj.docs.length > 0) {
          for (const value of obj.docs) {
            w.uint32(42)
            DocView.codec().encode(value, w)
          }
        }

        if ((obj.truncated != null && obj.truncated !== false)) {
          w.uint32(48)
          w.bool(obj.truncated)
        }

        if (obj.blocked != null && obj.blocked.length > 0) {
          for (const value of obj.blocked) {
            w.uint32(58)
            w.string(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          nonce: 0,
          name: '',
          members: [],
          docs: [],
          truncated: false,
          blocked: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.nonce = reader.uint32()
              break
            }
            case 2: {
              obj.name = reader.string()
              break
            }
            case 3: {
              obj.http = reader.string()
              break
            }
            case 4: {
              if (opts.limits?.members != null && obj.members.length === opts.limits.members) {
                throw new MaxLengthError('Decode error - repeated field "members" had too many elements')
              }

              obj.members.push(MemberView.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.members$
              }))
              break
            }
            case 5: {
              if (opts.limits?.docs != null && obj.docs.length === opts.limits.docs) {
                throw new MaxLengthError('Decode error - repeated field "docs" had too many elements')
              }

              obj.docs.push(DocView.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.docs$
              }))
              break
            }
            case 6: {
              obj.truncated = reader.bool()
              break
            }
            case 7: {
              if (opts.limits?.blocked != null && obj.blocked.length === opts.limits.blocked) {
                throw new MaxLengthError('Decode error - repeated field "blocked" had too many elements')
              }

              obj.blocked.push(reader.string())
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          members: 0,
          docs: 0,
          blocked: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.nonce`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.http`,
                value: reader.string()
              }
              break
            }
            case 4: {
              if (opts.limits?.members != null && obj.members === opts.limits.members) {
                throw new MaxLengthError('Streaming decode error - repeated field "members" had too many elements')
              }

              for (const evt of MemberView.codec().stream(reader, reader.uint32(), `${prefix}.members[]`, {
                limits: opts.limits?.members$
              })) {
                yield {
                  ...evt,
                  index: obj.members
                }
              }

              obj.members++

              break
            }
            case 5: {
              if (opts.limits?.docs != null && obj.docs === opts.limits.docs) {
                throw new MaxLengthError('Streaming decode error - repeated field "docs" had too many elements')
              }

              for (const evt of DocView.codec().stream(reader, reader.uint32(), `${prefix}.docs[]`, {
                limits: opts.limits?.docs$
              })) {
                yield {
                  ...evt,
                  index: obj.docs
                }
              }

              obj.docs++

              break
            }
            case 6: {
              yield {
                field: `${prefix}.truncated`,
                value: reader.bool()
              }
              break
            }
            case 7: {
              if (opts.limits?.blocked != null && obj.blocked === opts.limits.blocked) {
                throw new MaxLengthError('Streaming decode error - repeated field "blocked" had too many elements')
              }

              yield {
                field: `${prefix}.blocked[]`,
                index: obj.blocked,
                value: reader.string()
              }

              obj.blocked++

              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface ViewReplyNonceFieldEvent {
    field: '$.nonce'
    value: number
  }

  export interface ViewReplyNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface ViewReplyHttpFieldEvent {
    field: '$.http'
    value: string
  }

  export interface ViewReplyMembersIdFieldEvent {
    field: '$.members[].id'
    value: string
    index: number
  }

  export interface ViewReplyMembersNameFieldEvent {
    field: '$.members[].name'
    value: string
    index: number
  }

  export interface ViewReplyMembersStateFieldEvent {
    field: '$.members[].state'
    value: number
    index: number
  }

  export interface ViewReplyMembersIncarnationFieldEvent {
    field: '$.members[].incarnation'
    value: number
    index: number
  }

  export interface ViewReplyDocsNameFieldEvent {
    field: '$.docs[].name'
    value: string
    index: number
  }

  export interface ViewReplyDocsDigestFieldEvent {
    field: '$.docs[].digest'
    value: string
    index: number
  }

  export interface ViewReplyTruncatedFieldEvent {
    field: '$.truncated'
    value: boolean
  }

  export interface ViewReplyBlockedFieldEvent {
    field: '$.blocked[]'
    index: number
    value: string
  }

  export function encode (obj: Partial<ViewReply>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ViewReply.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ViewReply>): ViewReply {
    return decodeMessage(buf, ViewReply.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ViewReply>): Generator<ViewReplyNonceFieldEvent | ViewReplyNameFieldEvent | ViewReplyHttpFieldEvent | ViewReplyMembersIdFieldEvent | ViewReplyMembersNameFieldEvent | ViewReplyMembersStateFieldEvent | ViewReplyMembersIncarnationFieldEvent | ViewReplyDocsNameFieldEvent | ViewReplyDocsDigestFieldEvent | ViewReplyTruncatedFieldEvent | ViewReplyBlockedFieldEvent> {
    return streamMessage(buf, ViewReply.codec(), opts)
  }
}

export interface MemberView {
  id: string
  name: string
  state: number
  incarnation: number
}

export namespace MemberView {
  let _codec: Codec<MemberView>

  export const codec = (): Codec<MemberView> => {
    if (_codec == null) {
      _codec = message<MemberView>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.id != null && obj.id !== '')) {
          w.uint32(10)
          w.string(obj.id)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(18)
          w.string(obj.name)
        }

        if ((obj.state != null && obj.state !== 0)) {
          w.uint32(24)
          w.uint32(obj.state)
        }

        if ((obj.incarnation != null && obj.incarnation !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.incarnation)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: '',
          name: '',
          state: 0,
          incarnation: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.string()
              break
            }
            case 2: {
              obj.name = reader.string()
              break
            }
            case 3: {
              obj.state = reader.uint32()
              break
            }
            case 4: {
              obj.incarnation = reader.uint64Number()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.id`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.state`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.incarnation`,
                value: reader.uint64Number()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface MemberViewIdFieldEvent {
    field: '$.id'
    value: string
  }

  export interface MemberViewNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface MemberViewStateFieldEvent {
    field: '$.state'
    value: number
  }

  export interface MemberViewIncarnationFieldEvent {
    field: '$.incarnation'
    value: number
  }

  export function encode (obj: Partial<MemberView>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, MemberView.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MemberView>): MemberView {
    return decodeMessage(buf, MemberView.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MemberView>): Generator<MemberViewIdFieldEvent | MemberViewNameFieldEvent | MemberViewStateFieldEvent | MemberViewIncarnationFieldEvent> {
    return streamMessage(buf, MemberView.codec(), opts)
  }
}

export interface DocView {
  name: string
  digest: string
}

export namespace DocView {
  let _codec: Codec<DocView>

  export const codec = (): Codec<DocView> => {
    if (_codec == null) {
      _codec = message<DocView>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.digest != null && obj.digest !== '')) {
          w.uint32(18)
          w.string(obj.digest)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          digest: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              obj.digest = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.digest`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface DocViewNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface DocViewDigestFieldEvent {
    field: '$.digest'
    value: string
  }

  export function encode (obj: Partial<DocView>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DocView.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DocView>): DocView {
    return decodeMessage(buf, DocView.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DocView>): Generator<DocViewNameFieldEvent | DocViewDigestFieldEvent> {
    return streamMessage(buf, DocView.codec(), opts)
  }
}
