import { decodeMessage, encodeMessage, MaxLengthError, MaxSizeError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface SwimFrame {
  type: number
  seq: number
  target: string
  targetAddrs: string[]
  gossip: MemberUpdate[]
  members: MemberUpdate[]
  join: boolean
  page: number
  digest: Uint8Array<ArrayBuffer>
  noReply: boolean
}

export namespace SwimFrame {
  let _codec: Codec<SwimFrame>

  export const codec = (): Codec<SwimFrame> => {
    if (_codec == null) {
      _codec = message<SwimFrame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.type != null && obj.type !== 0)) {
          w.uint32(8)
          w.uint32(obj.type)
        }

        if ((obj.seq != null && obj.seq !== 0)) {
          w.uint32(16)
          w.uint32(obj.seq)
        }

        if ((obj.target != null && obj.target !== '')) {
          w.uint32(26)
          w.string(obj.target)
        }

        if (obj.targetAddrs != null && obj.targetAddrs.length > 0) {
          for (const value of obj.targetAddrs) {
            w.uint32(34)
            w.string(value)
          }
        }

        if (obj.gossip != null && obj.gossip.length > 0) {
          for (const value of obj.gossip) {
            w.uint32(42)
            MemberUpdate.codec().encode(value, w)
          }
        }

        if (obj.members != null && obj.members.length > 0) {
          for (const value of obj.members) {
            w.uint32(50)
            MemberUpdate.codec().encode(value, w)
          }
        }

        if ((obj.join != null && obj.join !== false)) {
          w.uint32(56)
          w.bool(obj.join)
        }

        if ((obj.page != null && obj.page !== 0)) {
          w.uint32(64)
          w.uint32(obj.page)
        }

        if ((obj.digest != null && obj.digest.byteLength > 0)) {
          w.uint32(74)
          w.bytes(obj.digest)
        }

        if ((obj.noReply != null && obj.noReply !== false)) {
          w.uint32(80)
          w.bool(obj.noReply)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: 0,
          seq: 0,
          target: '',
          targetAddrs: [],
          gossip: [],
          members: [],
          join: false,
          page: 0,
          digest: uint8ArrayAlloc(0),
          noReply: false
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
              obj.seq = reader.uint32()
              break
            }
            case 3: {
              obj.target = reader.string()
              break
            }
            case 4: {
              if (opts.limits?.targetAddrs != null && obj.targetAddrs.length === opts.limits.targetAddrs) {
                throw new MaxLengthError('Decode error - repeated field "targetAddrs" had too many elements')
              }

              obj.targetAddrs.push(reader.string())
              break
            }
            case 5: {
              if (opts.limits?.gossip != null && obj.gossip.length === opts.limits.gossip) {
                throw new MaxLengthError('Decode error - repeated field "gossip" had too many elements')
              }

              obj.gossip.push(MemberUpdate.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.gossip$
              }))
              break
            }
            case 6: {
              if (opts.limits?.members != null && obj.members.length === opts.limits.members) {
                throw new MaxLengthError('Decode error - repeated field "members" had too many elements')
              }

              obj.members.push(MemberUpdate.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.members$
              }))
              break
            }
            case 7: {
              obj.join = reader.bool()
              break
            }
            case 8: {
              obj.page = reader.uint32()
              break
            }
            case 9: {
              obj.digest = reader.bytes()
              break
            }
            case 10: {
              obj.noReply = reader.bool()
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
          targetAddrs: 0,
          gossip: 0,
          members: 0
        }

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
              yield {
                field: `${prefix}.seq`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.target`,
                value: reader.string()
              }
              break
            }
            case 4: {
              if (opts.limits?.targetAddrs != null && obj.targetAddrs === opts.limits.targetAddrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "targetAddrs" had too many elements')
              }

              yield {
                field: `${prefix}.targetAddrs[]`,
                index: obj.targetAddrs,
                value: reader.string()
              }

              obj.targetAddrs++

              break
            }
            case 5: {
              if (opts.limits?.gossip != null && obj.gossip === opts.limits.gossip) {
                throw new MaxLengthError('Streaming decode error - repeated field "gossip" had too many elements')
              }

              for (const evt of MemberUpdate.codec().stream(reader, reader.uint32(), `${prefix}.gossip[]`, {
                limits: opts.limits?.gossip$
              })) {
                yield {
                  ...evt,
                  index: obj.gossip
                }
              }

              obj.gossip++

              break
            }
            case 6: {
              if (opts.limits?.members != null && obj.members === opts.limits.members) {
                throw new MaxLengthError('Streaming decode error - repeated field "members" had too many elements')
              }

              for (const evt of MemberUpdate.codec().stream(reader, reader.uint32(), `${prefix}.members[]`, {
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
            case 7: {
              yield {
                field: `${prefix}.join`,
                value: reader.bool()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.page`,
                value: reader.uint32()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.digest`,
                value: reader.bytes()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.noReply`,
                value: reader.bool()
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

  export interface SwimFrameTypeFieldEvent {
    field: '$.type'
    value: number
  }

  export interface SwimFrameSeqFieldEvent {
    field: '$.seq'
    value: number
  }

  export interface SwimFrameTargetFieldEvent {
    field: '$.target'
    value: string
  }

  export interface SwimFrameTargetAddrsFieldEvent {
    field: '$.targetAddrs[]'
    index: number
    value: string
  }

  export interface SwimFrameGossipStateFieldEvent {
    field: '$.gossip[].state'
    value: number
    index: number
  }

  export interface SwimFrameGossipIdFieldEvent {
    field: '$.gossip[].id'
    value: string
    index: number
  }

  export interface SwimFrameGossipIncarnationFieldEvent {
    field: '$.gossip[].incarnation'
    value: number
    index: number
  }

  export interface SwimFrameGossipFromFieldEvent {
    field: '$.gossip[].from'
    value: string
    index: number
  }

  export interface SwimFrameGossipMetaNameFieldEvent {
    field: '$.gossip[].meta.name'
    value: string
    index: number
  }

  export interface SwimFrameGossipMetaAddrsFieldEvent {
    field: '$.gossip[].meta.addrs[]'
    index: number
    value: string
  }

  export interface SwimFrameGossipMetaTagsFieldEvent {
    field: '$.gossip[].meta.tags{}'
    key: string
    value: string
    index: number
  }

  export interface SwimFrameGossipSignatureFieldEvent {
    field: '$.gossip[].signature'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SwimFrameMembersStateFieldEvent {
    field: '$.members[].state'
    value: number
    index: number
  }

  export interface SwimFrameMembersIdFieldEvent {
    field: '$.members[].id'
    value: string
    index: number
  }

  export interface SwimFrameMembersIncarnationFieldEvent {
    field: '$.members[].incarnation'
    value: number
    index: number
  }

  export interface SwimFrameMembersFromFieldEvent {
    field: '$.members[].from'
    value: string
    index: number
  }

  export interface SwimFrameMembersMetaNameFieldEvent {
    field: '$.members[].meta.name'
    value: string
    index: number
  }

  export interface SwimFrameMembersMetaAddrsFieldEvent {
    field: '$.members[].meta.addrs[]'
    index: number
    value: string
  }

  export interface SwimFrameMembersMetaTagsFieldEvent {
    field: '$.members[].meta.tags{}'
    key: string
    value: string
    index: number
  }

  export interface SwimFrameMembersSignatureFieldEvent {
    field: '$.members[].signature'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SwimFrameJoinFieldEvent {
    field: '$.join'
    value: boolean
  }

  export interface SwimFramePageFieldEvent {
    field: '$.page'
    value: number
  }

  export interface SwimFrameDigestFieldEvent {
    field: '$.digest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SwimFrameNoReplyFieldEvent {
    field: '$.noReply'
    value: boolean
  }

  export function encode (obj: Partial<SwimFrame>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SwimFrame.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SwimFrame>): SwimFrame {
    return decodeMessage(buf, SwimFrame.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SwimFrame>): Generator<SwimFrameTypeFieldEvent | SwimFrameSeqFieldEvent | SwimFrameTargetFieldEvent | SwimFrameTargetAddrsFieldEvent | SwimFrameGossipStateFieldEvent | SwimFrameGossipIdFieldEvent | SwimFrameGossipIncarnationFieldEvent | SwimFrameGossipFromFieldEvent | SwimFrameGossipMetaNameFieldEvent | SwimFrameGossipMetaAddrsFieldEvent | SwimFrameGossipMetaTagsFieldEvent | SwimFrameGossipSignatureFieldEvent | SwimFrameMembersStateFieldEvent | SwimFrameMembersIdFieldEvent | SwimFrameMembersIncarnationFieldEvent | SwimFrameMembersFromFieldEvent | SwimFrameMembersMetaNameFieldEvent | SwimFrameMembersMetaAddrsFieldEvent | SwimFrameMembersMetaTagsFieldEvent | SwimFrameMembersSignatureFieldEvent | SwimFrameJoinFieldEvent | SwimFramePageFieldEvent | SwimFrameDigestFieldEvent | SwimFrameNoReplyFieldEvent> {
    return streamMessage(buf, SwimFrame.codec(), opts)
  }
}

export interface MemberUpdate {
  state: number
  id: string
  incarnation: number
  from: string
  meta?: MemberMeta
  signature?: Uint8Array<ArrayBuffer>
}

export namespace MemberUpdate {
  let _codec: Codec<MemberUpdate>

  export const codec = (): Codec<MemberUpdate> => {
    if (_codec == null) {
      _codec = message<MemberUpdate>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.state != null && obj.state !== 0)) {
          w.uint32(8)
          w.uint32(obj.state)
        }

        if ((obj.id != null && obj.id !== '')) {
          w.uint32(18)
          w.string(obj.id)
        }

        if ((obj.incarnation != null && obj.incarnation !== 0)) {
          w.uint32(24)
          w.uint32(obj.incarnation)
        }

        if ((obj.from != null && obj.from !== '')) {
          w.uint32(34)
          w.string(obj.from)
        }

        if (obj.meta != null) {
          w.uint32(42)
          MemberMeta.codec().encode(obj.meta, w)
        }

        if (obj.signature != null) {
          w.uint32(50)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          state: 0,
          id: '',
          incarnation: 0,
          from: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.state = reader.uint32()
              break
            }
            case 2: {
              obj.id = reader.string()
              break
            }
            case 3: {
              obj.incarnation = reader.uint32()
              break
            }
            case 4: {
              obj.from = reader.string()
              break
            }
            case 5: {
              obj.meta = MemberMeta.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.meta
              })
              break
            }
            case 6: {
              obj.signature = reader.bytes()
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
                field: `${prefix}.state`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.id`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.incarnation`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.from`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield * MemberMeta.codec().stream(reader, reader.uint32(), `${prefix}.meta`, {
                limits: opts.limits?.meta
              })

              break
            }
            case 6: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
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

  export interface MemberUpdateStateFieldEvent {
    field: '$.state'
    value: number
  }

  export interface MemberUpdateIdFieldEvent {
    field: '$.id'
    value: string
  }

  export interface MemberUpdateIncarnationFieldEvent {
    field: '$.incarnation'
    value: number
  }

  export interface MemberUpdateFromFieldEvent {
    field: '$.from'
    value: string
  }

  export interface MemberUpdateMetaNameFieldEvent {
    field: '$.meta.name'
    value: string
  }

  export interface MemberUpdateMetaAddrsFieldEvent {
    field: '$.meta.addrs[]'
    index: number
    value: string
  }

  export interface MemberUpdateMetaTagsFieldEvent {
    field: '$.meta.tags{}'
    key: string
    value: string
  }

  export interface MemberUpdateSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<MemberUpdate>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, MemberUpdate.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MemberUpdate>): MemberUpdate {
    return decodeMessage(buf, MemberUpdate.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MemberUpdate>): Generator<MemberUpdateStateFieldEvent | MemberUpdateIdFieldEvent | MemberUpdateIncarnationFieldEvent | MemberUpdateFromFieldEvent | MemberUpdateMetaNameFieldEvent | MemberUpdateMetaAddrsFieldEvent | MemberUpdateMetaTagsFieldEvent | MemberUpdateSignatureFieldEvent> {
    return streamMessage(buf, MemberUpdate.codec(), opts)
  }
}

export interface MemberMeta {
  name: string
  addrs: string[]
  tags: Map<string, string>
}

export namespace MemberMeta {
  export interface MemberMeta$tagsEntry {
    key: string
    value: string
  }

  export namespace MemberMeta$tagsEntry {
    let _codec: Codec<MemberMeta$tagsEntry>

    export const codec = (): Codec<MemberMeta$tagsEntry> => {
      if (_codec == null) {
        _codec = message<MemberMeta$tagsEntry>((obj, w, opts = {}) => {
          if (opts.lengthDelimited !== false) {
            w.fork()
          }

          if ((obj.key != null && obj.key !== '')) {
            w.uint32(10)
            w.string(obj.key)
          }

          if ((obj.value != null && obj.value !== '')) {
            w.uint32(18)
            w.string(obj.value)
          }

          if (opts.lengthDelimited !== false) {
            w.ldelim()
          }
        }, (reader, length, opts = {}) => {
          const obj: any = {
            key: '',
            value: ''
          }

          const end = length == null ? reader.len : reader.pos + length

          while (reader.pos < end) {
            const tag = reader.uint32()

            switch (tag >>> 3) {
              case 1: {
                obj.key = reader.string()
                break
              }
              case 2: {
                obj.value = reader.string()
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
                  field: `${prefix}.key`,
                  value: reader.string()
                }
                break
              }
              case 2: {
                yield {
                  field: `${prefix}.value`,
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

    export interface MemberMeta$tagsEntryKeyFieldEvent {
      field: '$.key'
      value: string
    }

    export interface MemberMeta$tagsEntryValueFieldEvent {
      field: '$.value'
      value: string
    }

    export function encode (obj: Partial<MemberMeta$tagsEntry>): Uint8Array<ArrayBuffer> {
      return encodeMessage(obj, MemberMeta$tagsEntry.codec())
    }

    export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MemberMeta$tagsEntry>): MemberMeta$tagsEntry {
      return decodeMessage(buf, MemberMeta$tagsEntry.codec(), opts)
    }

    export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MemberMeta$tagsEntry>): Generator<MemberMeta$tagsEntryKeyFieldEvent | MemberMeta$tagsEntryValueFieldEvent> {
      return streamMessage(buf, MemberMeta$tagsEntry.codec(), opts)
    }
  }

  let _codec: Codec<MemberMeta>

  export const codec = (): Codec<MemberMeta> => {
    if (_codec == null) {
      _codec = message<MemberMeta>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if (obj.addrs != null && obj.addrs.length > 0) {
          for (const value of obj.addrs) {
            w.uint32(18)
            w.string(value)
          }
        }

        if (obj.tags != null && obj.tags.size > 0) {
          for (const [key, value] of obj.tags.entries()) {
            w.uint32(26)
            MemberMeta.MemberMeta$tagsEntry.codec().encode({ key, value }, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          addrs: [],
          tags: new Map<string, string>()
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
              if (opts.limits?.addrs != null && obj.addrs.length === opts.limits.addrs) {
                throw new MaxLengthError('Decode error - repeated field "addrs" had too many elements')
              }

              obj.addrs.push(reader.string())
              break
            }
            case 3: {
              if (opts.limits?.tags != null && obj.tags.size === opts.limits.tags) {
                throw new MaxSizeError('Decode error - map field "tags" had too many elements')
              }

              const entry = MemberMeta.MemberMeta$tagsEntry.codec().decode(reader, reader.uint32(), {
                limits: {
                  value: opts.limits?.tags$value
                }
              })
              obj.tags.set(entry.key, entry.value)
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
          addrs: 0,
          tags: 0
        }

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
              if (opts.limits?.addrs != null && obj.addrs === opts.limits.addrs) {
                throw new MaxLengthError('Streaming decode error - repeated field "addrs" had too many elements')
              }

              yield {
                field: `${prefix}.addrs[]`,
                index: obj.addrs,
                value: reader.string()
              }

              obj.addrs++

              break
            }
            case 3: {
              if (opts.limits?.tags != null && obj.tags === opts.limits.tags) {
                throw new MaxLengthError('Decode error - map field "tags" had too many elements')
              }

              yield * MemberMeta.MemberMeta$tagsEntry.codec().stream(reader, reader.uint32(), `${prefix}.tags{}`, {
                limits: {
                  value: opts.limits?.tags$value
                }
              })

              obj.tags++

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

  export interface MemberMetaNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface MemberMetaAddrsFieldEvent {
    field: '$.addrs[]'
    index: number
    value: string
  }

  export interface MemberMetaTagsFieldEvent {
    field: '$.tags{}'
    key: string
    value: string
  }

  export function encode (obj: Partial<MemberMeta>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, MemberMeta.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MemberMeta>): MemberMeta {
    return decodeMessage(buf, MemberMeta.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<MemberMeta>): Generator<MemberMetaNameFieldEvent | MemberMetaAddrsFieldEvent | MemberMetaTagsFieldEvent> {
    return streamMessage(buf, MemberMeta.codec(), opts)
  }
}
