import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface SyncFrame {
  type: number
  digests?: Digests
  digestsReply?: DigestsReply
  syncDoc?: SyncDoc
  update?: Update
  ack?: Ack
  chunk?: Chunk
  summary?: Summary
  summaryReply?: SummaryReply
  syncBatch?: SyncBatch
}

export namespace SyncFrame {
  let _codec: Codec<SyncFrame>

  export const codec = (): Codec<SyncFrame> => {
    if (_codec == null) {
      _codec = message<SyncFrame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.type != null && obj.type !== 0)) {
          w.uint32(8)
          w.uint32(obj.type)
        }

        if (obj.digests != null) {
          w.uint32(18)
          Digests.codec().encode(obj.digests, w)
        }

        if (obj.digestsReply != null) {
          w.uint32(26)
          DigestsReply.codec().encode(obj.digestsReply, w)
        }

        if (obj.syncDoc != null) {
          w.uint32(34)
          SyncDoc.codec().encode(obj.syncDoc, w)
        }

        if (obj.update != null) {
          w.uint32(42)
          Update.codec().encode(obj.update, w)
        }

        if (obj.ack != null) {
          w.uint32(50)
          Ack.codec().encode(obj.ack, w)
        }

        if (obj.chunk != null) {
          w.uint32(58)
          Chunk.codec().encode(obj.chunk, w)
        }

        if (obj.summary != null) {
          w.uint32(66)
          Summary.codec().encode(obj.summary, w)
        }

        if (obj.summaryReply != null) {
          w.uint32(74)
          SummaryReply.codec().encode(obj.summaryReply, w)
        }

        if (obj.syncBatch != null) {
          w.uint32(82)
          SyncBatch.codec().encode(obj.syncBatch, w)
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
              obj.digests = Digests.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.digests
              })
              break
            }
            case 3: {
              obj.digestsReply = DigestsReply.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.digestsReply
              })
              break
            }
            case 4: {
              obj.syncDoc = SyncDoc.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.syncDoc
              })
              break
            }
            case 5: {
              obj.update = Update.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.update
              })
              break
            }
            case 6: {
              obj.ack = Ack.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.ack
              })
              break
            }
            case 7: {
              obj.chunk = Chunk.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.chunk
              })
              break
            }
            case 8: {
              obj.summary = Summary.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.summary
              })
              break
            }
            case 9: {
              obj.summaryReply = SummaryReply.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.summaryReply
              })
              break
            }
            case 10: {
              obj.syncBatch = SyncBatch.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.syncBatch
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
              yield * Digests.codec().stream(reader, reader.uint32(), `${prefix}.digests`, {
                limits: opts.limits?.digests
              })

              break
            }
            case 3: {
              yield * DigestsReply.codec().stream(reader, reader.uint32(), `${prefix}.digestsReply`, {
                limits: opts.limits?.digestsReply
              })

              break
            }
            case 4: {
              yield * SyncDoc.codec().stream(reader, reader.uint32(), `${prefix}.syncDoc`, {
                limits: opts.limits?.syncDoc
              })

              break
            }
            case 5: {
              yield * Update.codec().stream(reader, reader.uint32(), `${prefix}.update`, {
                limits: opts.limits?.update
              })

              break
            }
            case 6: {
              yield * Ack.codec().stream(reader, reader.uint32(), `${prefix}.ack`, {
                limits: opts.limits?.ack
              })

              break
            }
            case 7: {
              yield * Chunk.codec().stream(reader, reader.uint32(), `${prefix}.chunk`, {
                limits: opts.limits?.chunk
              })

              break
            }
            case 8: {
              yield * Summary.codec().stream(reader, reader.uint32(), `${prefix}.summary`, {
                limits: opts.limits?.summary
              })

              break
            }
            case 9: {
              yield * SummaryReply.codec().stream(reader, reader.uint32(), `${prefix}.summaryReply`, {
                limits: opts.limits?.summaryReply
              })

              break
            }
            case 10: {
              yield * SyncBatch.codec().stream(reader, reader.uint32(), `${prefix}.syncBatch`, {
                limits: opts.limits?.syncBatch
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

  export interface SyncFrameTypeFieldEvent {
    field: '$.type'
    value: number
  }

  export interface SyncFrameDigestsSessionFieldEvent {
    field: '$.digests.session'
    value: number
  }

  export interface SyncFrameDigestsPageFieldEvent {
    field: '$.digests.page'
    value: number
  }

  export interface SyncFrameDigestsPagesFieldEvent {
    field: '$.digests.pages'
    value: number
  }

  export interface SyncFrameDigestsFullFieldEvent {
    field: '$.digests.full'
    value: boolean
  }

  export interface SyncFrameDigestsEntriesDocFieldEvent {
    field: '$.digests.entries[].doc'
    value: string
    index: number
  }

  export interface SyncFrameDigestsEntriesDigestFieldEvent {
    field: '$.digests.entries[].digest'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncFrameDigestsScopeFieldEvent {
    field: '$.digests.scope'
    value: number
  }

  export interface SyncFrameDigestsBucketsFieldEvent {
    field: '$.digests.buckets[]'
    index: number
    value: number
  }

  export interface SyncFrameDigestsGroupsFieldEvent {
    field: '$.digests.groups'
    value: number
  }

  export interface SyncFrameDigestsNamesFieldEvent {
    field: '$.digests.names'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameDigestsMarksFieldEvent {
    field: '$.digests.marks'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameDigestsOpenFieldEvent {
    field: '$.digests.open'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameDigestsReplySessionFieldEvent {
    field: '$.digestsReply.session'
    value: number
  }

  export interface SyncFrameDigestsReplyPageFieldEvent {
    field: '$.digestsReply.page'
    value: number
  }

  export interface SyncFrameDigestsReplyHostedFieldEvent {
    field: '$.digestsReply.hosted'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameDigestsReplyDifferingFieldEvent {
    field: '$.digestsReply.differing'
    value: number
  }

  export interface SyncFrameDigestsReplyOthersFieldEvent {
    field: '$.digestsReply.others[]'
    index: number
    value: string
  }

  export interface SyncFrameDigestsReplyHintsDocFieldEvent {
    field: '$.digestsReply.hints[].doc'
    value: string
    index: number
  }

  export interface SyncFrameDigestsReplyHintsPeersFieldEvent {
    field: '$.digestsReply.hints[].peers[]'
    index: number
    value: string
  }

  export interface SyncFrameDigestsReplyEqualFieldEvent {
    field: '$.digestsReply.equal'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameDigestsReplyDurableFieldEvent {
    field: '$.digestsReply.durable'
    value: boolean
  }

  export interface SyncFrameDigestsReplyUnresolvedFieldEvent {
    field: '$.digestsReply.unresolved'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameDigestsReplyProofFieldEvent {
    field: '$.digestsReply.proof'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameDigestsReplyTrimmedFieldEvent {
    field: '$.digestsReply.trimmed'
    value: boolean
  }

  export interface SyncFrameDigestsReplyOpenFieldEvent {
    field: '$.digestsReply.open'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameSyncDocSessionFieldEvent {
    field: '$.syncDoc.session'
    value: number
  }

  export interface SyncFrameSyncDocStepFieldEvent {
    field: '$.syncDoc.step'
    value: number
  }

  export interface SyncFrameSyncDocDocFieldEvent {
    field: '$.syncDoc.doc'
    value: string
  }

  export interface SyncFrameSyncDocVectorReplicaFieldEvent {
    field: '$.syncDoc.vector[].replica'
    value: number
    index: number
  }

  export interface SyncFrameSyncDocVectorClockFieldEvent {
    field: '$.syncDoc.vector[].clock'
    value: number
    index: number
  }

  export interface SyncFrameSyncDocUpdateFieldEvent {
    field: '$.syncDoc.update'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameSyncDocDurableFieldEvent {
    field: '$.syncDoc.durable'
    value: boolean
  }

  export interface SyncFrameSyncDocDigestFieldEvent {
    field: '$.syncDoc.digest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameSyncDocCoversFieldEvent {
    field: '$.syncDoc.covers'
    value: boolean
  }

  export interface SyncFrameUpdateDocFieldEvent {
    field: '$.update.doc'
    value: string
  }

  export interface SyncFrameUpdateUpdateFieldEvent {
    field: '$.update.update'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameUpdateAckIdFieldEvent {
    field: '$.update.ackId'
    value: number
  }

  export interface SyncFrameUpdateSpreadFieldEvent {
    field: '$.update.spread'
    value: boolean
  }

  export interface SyncFrameUpdateOpenFieldEvent {
    field: '$.update.open'
    value: boolean
  }

  export interface SyncFrameAckDocFieldEvent {
    field: '$.ack.doc'
    value: string
  }

  export interface SyncFrameAckAckIdFieldEvent {
    field: '$.ack.ackId'
    value: number
  }

  export interface SyncFrameAckVectorReplicaFieldEvent {
    field: '$.ack.vector[].replica'
    value: number
    index: number
  }

  export interface SyncFrameAckVectorClockFieldEvent {
    field: '$.ack.vector[].clock'
    value: number
    index: number
  }

  export interface SyncFrameAckDurableFieldEvent {
    field: '$.ack.durable'
    value: boolean
  }

  export interface SyncFrameChunkTransferFieldEvent {
    field: '$.chunk.transfer'
    value: number
  }

  export interface SyncFrameChunkIndexFieldEvent {
    field: '$.chunk.index'
    value: number
  }

  export interface SyncFrameChunkCountFieldEvent {
    field: '$.chunk.count'
    value: number
  }

  export interface SyncFrameChunkDataFieldEvent {
    field: '$.chunk.data'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameSummarySessionFieldEvent {
    field: '$.summary.session'
    value: number
  }

  export interface SyncFrameSummaryRootFieldEvent {
    field: '$.summary.root'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameSummaryCountFieldEvent {
    field: '$.summary.count'
    value: number
  }

  export interface SyncFrameSummaryReplicasFieldEvent {
    field: '$.summary.replicas'
    value: number
  }

  export interface SyncFrameSummaryReplySessionFieldEvent {
    field: '$.summaryReply.session'
    value: number
  }

  export interface SyncFrameSummaryReplyEqualFieldEvent {
    field: '$.summaryReply.equal'
    value: boolean
  }

  export interface SyncFrameSummaryReplyBucketsFieldEvent {
    field: '$.summaryReply.buckets'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncFrameSummaryReplyLaterFieldEvent {
    field: '$.summaryReply.later'
    value: boolean
  }

  export interface SyncFrameSummaryReplyReplicasFieldEvent {
    field: '$.summaryReply.replicas'
    value: number
  }

  export interface SyncFrameSummaryReplyCatchingUpFieldEvent {
    field: '$.summaryReply.catchingUp'
    value: boolean
  }

  export interface SyncFrameSyncBatchStepsSessionFieldEvent {
    field: '$.syncBatch.steps[].session'
    value: number
    index: number
  }

  export interface SyncFrameSyncBatchStepsStepFieldEvent {
    field: '$.syncBatch.steps[].step'
    value: number
    index: number
  }

  export interface SyncFrameSyncBatchStepsDocFieldEvent {
    field: '$.syncBatch.steps[].doc'
    value: string
    index: number
  }

  export interface SyncFrameSyncBatchStepsVectorReplicaFieldEvent {
    field: '$.syncBatch.steps[].vector[].replica'
    value: number
    index: number
  }

  export interface SyncFrameSyncBatchStepsVectorClockFieldEvent {
    field: '$.syncBatch.steps[].vector[].clock'
    value: number
    index: number
  }

  export interface SyncFrameSyncBatchStepsUpdateFieldEvent {
    field: '$.syncBatch.steps[].update'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncFrameSyncBatchStepsDurableFieldEvent {
    field: '$.syncBatch.steps[].durable'
    value: boolean
    index: number
  }

  export interface SyncFrameSyncBatchStepsDigestFieldEvent {
    field: '$.syncBatch.steps[].digest'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncFrameSyncBatchStepsCoversFieldEvent {
    field: '$.syncBatch.steps[].covers'
    value: boolean
    index: number
  }

  export function encode (obj: Partial<SyncFrame>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncFrame.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncFrame>): SyncFrame {
    return decodeMessage(buf, SyncFrame.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncFrame>): Generator<SyncFrameTypeFieldEvent | SyncFrameDigestsSessionFieldEvent | SyncFrameDigestsPageFieldEvent | SyncFrameDigestsPagesFieldEvent | SyncFrameDigestsFullFieldEvent | SyncFrameDigestsEntriesDocFieldEvent | SyncFrameDigestsEntriesDigestFieldEvent | SyncFrameDigestsScopeFieldEvent | SyncFrameDigestsBucketsFieldEvent | SyncFrameDigestsGroupsFieldEvent | SyncFrameDigestsNamesFieldEvent | SyncFrameDigestsMarksFieldEvent | SyncFrameDigestsOpenFieldEvent | SyncFrameDigestsReplySessionFieldEvent | SyncFrameDigestsReplyPageFieldEvent | SyncFrameDigestsReplyHostedFieldEvent | SyncFrameDigestsReplyDifferingFieldEvent | SyncFrameDigestsReplyOthersFieldEvent | SyncFrameDigestsReplyHintsDocFieldEvent | SyncFrameDigestsReplyHintsPeersFieldEvent | SyncFrameDigestsReplyEqualFieldEvent | SyncFrameDigestsReplyDurableFieldEvent | SyncFrameDigestsReplyUnresolvedFieldEvent | SyncFrameDigestsReplyProofFieldEvent | SyncFrameDigestsReplyTrimmedFieldEvent | SyncFrameDigestsReplyOpenFieldEvent | SyncFrameSyncDocSessionFieldEvent | SyncFrameSyncDocStepFieldEvent | SyncFrameSyncDocDocFieldEvent | SyncFrameSyncDocVectorReplicaFieldEvent | SyncFrameSyncDocVectorClockFieldEvent | SyncFrameSyncDocUpdateFieldEvent | SyncFrameSyncDocDurableFieldEvent | SyncFrameSyncDocDigestFieldEvent | SyncFrameSyncDocCoversFieldEvent | SyncFrameUpdateDocFieldEvent | SyncFrameUpdateUpdateFieldEvent | SyncFrameUpdateAckIdFieldEvent | SyncFrameUpdateSpreadFieldEvent | SyncFrameUpdateOpenFieldEvent | SyncFrameAckDocFieldEvent | SyncFrameAckAckIdFieldEvent | SyncFrameAckVectorReplicaFieldEvent | SyncFrameAckVectorClockFieldEvent | SyncFrameAckDurableFieldEvent | SyncFrameChunkTransferFieldEvent | SyncFrameChunkIndexFieldEvent | SyncFrameChunkCountFieldEvent | SyncFrameChunkDataFieldEvent | SyncFrameSummarySessionFieldEvent | SyncFrameSummaryRootFieldEvent | SyncFrameSummaryCountFieldEvent | SyncFrameSummaryReplicasFieldEvent | SyncFrameSummaryReplySessionFieldEvent | SyncFrameSummaryReplyEqualFieldEvent | SyncFrameSummaryReplyBucketsFieldEvent | SyncFrameSummaryReplyLaterFieldEvent | SyncFrameSummaryReplyReplicasFieldEvent | SyncFrameSummaryReplyCatchingUpFieldEvent | SyncFrameSyncBatchStepsSessionFieldEvent | SyncFrameSyncBatchStepsStepFieldEvent | SyncFrameSyncBatchStepsDocFieldEvent | SyncFrameSyncBatchStepsVectorReplicaFieldEvent | SyncFrameSyncBatchStepsVectorClockFieldEvent | SyncFrameSyncBatchStepsUpdateFieldEvent | SyncFrameSyncBatchStepsDurableFieldEvent | SyncFrameSyncBatchStepsDigestFieldEvent | SyncFrameSyncBatchStepsCoversFieldEvent> {
    return streamMessage(buf, SyncFrame.codec(), opts)
  }
}

export interface Summary {
  session: number
  root: Uint8Array<ArrayBuffer>
  count: number
  replicas: number
}

export namespace Summary {
  let _codec: Codec<Summary>

  export const codec = (): Codec<Summary> => {
    if (_codec == null) {
      _codec = message<Summary>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.session != null && obj.session !== 0)) {
          w.uint32(8)
          w.uint32(obj.session)
        }

        if ((obj.root != null && obj.root.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.root)
        }

        if ((obj.count != null && obj.count !== 0)) {
          w.uint32(24)
          w.uint32(obj.count)
        }

        if ((obj.replicas != null && obj.replicas !== 0)) {
          w.uint32(32)
          w.uint32(obj.replicas)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          session: 0,
          root: uint8ArrayAlloc(0),
          count: 0,
          replicas: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.session = reader.uint32()
              break
            }
            case 2: {
              obj.root = reader.bytes()
              break
            }
            case 3: {
              obj.count = reader.uint32()
              break
            }
            case 4: {
              obj.replicas = reader.uint32()
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
                field: `${prefix}.session`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.root`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.count`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.replicas`,
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

  export interface SummarySessionFieldEvent {
    field: '$.session'
    value: number
  }

  export interface SummaryRootFieldEvent {
    field: '$.root'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SummaryCountFieldEvent {
    field: '$.count'
    value: number
  }

  export interface SummaryReplicasFieldEvent {
    field: '$.replicas'
    value: number
  }

  export function encode (obj: Partial<Summary>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Summary.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Summary>): Summary {
    return decodeMessage(buf, Summary.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Summary>): Generator<SummarySessionFieldEvent | SummaryRootFieldEvent | SummaryCountFieldEvent | SummaryReplicasFieldEvent> {
    return streamMessage(buf, Summary.codec(), opts)
  }
}

export interface SummaryReply {
  session: number
  equal: boolean
  buckets: Uint8Array<ArrayBuffer>
  later: boolean
  replicas: number
  catchingUp: boolean
}

export namespace SummaryReply {
  let _codec: Codec<SummaryReply>

  export const codec = (): Codec<SummaryReply> => {
    if (_codec == null) {
      _codec = message<SummaryReply>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.session != null && obj.session !== 0)) {
          w.uint32(8)
          w.uint32(obj.session)
        }

        if ((obj.equal != null && obj.equal !== false)) {
          w.uint32(16)
          w.bool(obj.equal)
        }

        if ((obj.buckets != null && obj.buckets.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.buckets)
        }

        if ((obj.later != null && obj.later !== false)) {
          w.uint32(32)
          w.bool(obj.later)
        }

        if ((obj.replicas != null && obj.replicas !== 0)) {
          w.uint32(40)
          w.uint32(obj.replicas)
        }

        if ((obj.catchingUp != null && obj.catchingUp !== false)) {
          w.uint32(48)
          w.bool(obj.catchingUp)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          session: 0,
          equal: false,
          buckets: uint8ArrayAlloc(0),
          later: false,
          replicas: 0,
          catchingUp: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.session = reader.uint32()
              break
            }
            case 2: {
              obj.equal = reader.bool()
              break
            }
            case 3: {
              obj.buckets = reader.bytes()
              break
            }
            case 4: {
              obj.later = reader.bool()
              break
            }
            case 5: {
              obj.replicas = reader.uint32()
              break
            }
            case 6: {
              obj.catchingUp = reader.bool()
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
                field: `${prefix}.session`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.equal`,
                value: reader.bool()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.buckets`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.later`,
                value: reader.bool()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.replicas`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.catchingUp`,
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

  export interface SummaryReplySessionFieldEvent {
    field: '$.session'
    value: number
  }

  export interface SummaryReplyEqualFieldEvent {
    field: '$.equal'
    value: boolean
  }

  export interface SummaryReplyBucketsFieldEvent {
    field: '$.buckets'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SummaryReplyLaterFieldEvent {
    field: '$.later'
    value: boolean
  }

  export interface SummaryReplyReplicasFieldEvent {
    field: '$.replicas'
    value: number
  }

  export interface SummaryReplyCatchingUpFieldEvent {
    field: '$.catchingUp'
    value: boolean
  }

  export function encode (obj: Partial<SummaryReply>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SummaryReply.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SummaryReply>): SummaryReply {
    return decodeMessage(buf, SummaryReply.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SummaryReply>): Generator<SummaryReplySessionFieldEvent | SummaryReplyEqualFieldEvent | SummaryReplyBucketsFieldEvent | SummaryReplyLaterFieldEvent | SummaryReplyReplicasFieldEvent | SummaryReplyCatchingUpFieldEvent> {
    return streamMessage(buf, SummaryReply.codec(), opts)
  }
}

export interface SyncBatch {
  steps: SyncDoc[]
}

export namespace SyncBatch {
  let _codec: Codec<SyncBatch>

  export const codec = (): Codec<SyncBatch> => {
    if (_codec == null) {
      _codec = message<SyncBatch>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.steps != null && obj.steps.length > 0) {
          for (const value of obj.steps) {
            w.uint32(10)
            SyncDoc.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          steps: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.steps != null && obj.steps.length === opts.limits.steps) {
                throw new MaxLengthError('Decode error - repeated field "steps" had too many elements')
              }

              obj.steps.push(SyncDoc.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.steps$
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
          steps: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.steps != null && obj.steps === opts.limits.steps) {
                throw new MaxLengthError('Streaming decode error - repeated field "steps" had too many elements')
              }

              for (const evt of SyncDoc.codec().stream(reader, reader.uint32(), `${prefix}.steps[]`, {
                limits: opts.limits?.steps$
              })) {
                yield {
                  ...evt,
                  index: obj.steps
                }
              }

              obj.steps++

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

  export interface SyncBatchStepsSessionFieldEvent {
    field: '$.steps[].session'
    value: number
    index: number
  }

  export interface SyncBatchStepsStepFieldEvent {
    field: '$.steps[].step'
    value: number
    index: number
  }

  export interface SyncBatchStepsDocFieldEvent {
    field: '$.steps[].doc'
    value: string
    index: number
  }

  export interface SyncBatchStepsVectorReplicaFieldEvent {
    field: '$.steps[].vector[].replica'
    value: number
    index: number
  }

  export interface SyncBatchStepsVectorClockFieldEvent {
    field: '$.steps[].vector[].clock'
    value: number
    index: number
  }

  export interface SyncBatchStepsUpdateFieldEvent {
    field: '$.steps[].update'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncBatchStepsDurableFieldEvent {
    field: '$.steps[].durable'
    value: boolean
    index: number
  }

  export interface SyncBatchStepsDigestFieldEvent {
    field: '$.steps[].digest'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncBatchStepsCoversFieldEvent {
    field: '$.steps[].covers'
    value: boolean
    index: number
  }

  export function encode (obj: Partial<SyncBatch>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncBatch.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncBatch>): SyncBatch {
    return decodeMessage(buf, SyncBatch.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncBatch>): Generator<SyncBatchStepsSessionFieldEvent | SyncBatchStepsStepFieldEvent | SyncBatchStepsDocFieldEvent | SyncBatchStepsVectorReplicaFieldEvent | SyncBatchStepsVectorClockFieldEvent | SyncBatchStepsUpdateFieldEvent | SyncBatchStepsDurableFieldEvent | SyncBatchStepsDigestFieldEvent | SyncBatchStepsCoversFieldEvent> {
    return streamMessage(buf, SyncBatch.codec(), opts)
  }
}

export interface Digests {
  session: number
  page: number
  pages: number
  full: boolean
  entries: DocDigest[]
  scope: number
  buckets: number[]
  groups: number
  names: Uint8Array<ArrayBuffer>
  marks: Uint8Array<ArrayBuffer>
  open: Uint8Array<ArrayBuffer>
}

export namespace Digests {
  let _codec: Codec<Digests>

  export const codec = (): Codec<Digests> => {
    if (_codec == null) {
      _codec = message<Digests>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.session != null && obj.session !== 0)) {
          w.uint32(8)
          w.uint32(obj.session)
        }

        if ((obj.page != null && obj.page !== 0)) {
          w.uint32(16)
          w.uint32(obj.page)
        }

        if ((obj.pages != null && obj.pages !== 0)) {
          w.uint32(24)
          w.uint32(obj.pages)
        }

        if ((obj.full != null && obj.full !== false)) {
          w.uint32(32)
          w.bool(obj.full)
        }

        if (obj.entries != null && obj.entries.length > 0) {
          for (const value of obj.entries) {
            w.uint32(42)
            DocDigest.codec().encode(value, w)
          }
        }

        if ((obj.scope != null && obj.scope !== 0)) {
          w.uint32(48)
          w.uint32(obj.scope)
        }

        if (obj.buckets != null && obj.buckets.length > 0) {
          for (const value of obj.buckets) {
            w.uint32(56)
            w.uint32(value)
          }
        }

        if ((obj.groups != null && obj.groups !== 0)) {
          w.uint32(64)
          w.uint32(obj.groups)
        }

        if ((obj.names != null && obj.names.byteLength > 0)) {
          w.uint32(74)
          w.bytes(obj.names)
        }

        if ((obj.marks != null && obj.marks.byteLength > 0)) {
          w.uint32(82)
          w.bytes(obj.marks)
        }

        if ((obj.open != null && obj.open.byteLength > 0)) {
          w.uint32(90)
          w.bytes(obj.open)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          session: 0,
          page: 0,
          pages: 0,
          full: false,
          entries: [],
          scope: 0,
          buckets: [],
          groups: 0,
          names: uint8ArrayAlloc(0),
          marks: uint8ArrayAlloc(0),
          open: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.session = reader.uint32()
              break
            }
            case 2: {
              obj.page = reader.uint32()
              break
            }
            case 3: {
              obj.pages = reader.uint32()
              break
            }
            case 4: {
              obj.full = reader.bool()
              break
            }
            case 5: {
              if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements')
              }

              obj.entries.push(DocDigest.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.entries$
              }))
              break
            }
            case 6: {
              obj.scope = reader.uint32()
              break
            }
            case 7: {
              if (opts.limits?.buckets != null && obj.buckets.length === opts.limits.buckets) {
                throw new MaxLengthError('Decode error - repeated field "buckets" had too many elements')
              }

              obj.buckets.push(reader.uint32())
              break
            }
            case 8: {
              obj.groups = reader.uint32()
              break
            }
            case 9: {
              obj.names = reader.bytes()
              break
            }
            case 10: {
              obj.marks = reader.bytes()
              break
            }
            case 11: {
              obj.open = reader.bytes()
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
          entries: 0,
          buckets: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.session`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.page`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.pages`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.full`,
                value: reader.bool()
              }
              break
            }
            case 5: {
              if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements')
              }

              for (const evt of DocDigest.codec().stream(reader, reader.uint32(), `${prefix}.entries[]`, {
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
            case 6: {
              yield {
                field: `${prefix}.scope`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              if (opts.limits?.buckets != null && obj.buckets === opts.limits.buckets) {
                throw new MaxLengthError('Streaming decode error - repeated field "buckets" had too many elements')
              }

              yield {
                field: `${prefix}.buckets[]`,
                index: obj.buckets,
                value: reader.uint32()
              }

              obj.buckets++

              break
            }
            case 8: {
              yield {
                field: `${prefix}.groups`,
                value: reader.uint32()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.names`,
                value: reader.bytes()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.marks`,
                value: reader.bytes()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.open`,
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

  export interface DigestsSessionFieldEvent {
    field: '$.session'
    value: number
  }

  export interface DigestsPageFieldEvent {
    field: '$.page'
    value: number
  }

  export interface DigestsPagesFieldEvent {
    field: '$.pages'
    value: number
  }

  export interface DigestsFullFieldEvent {
    field: '$.full'
    value: boolean
  }

  export interface DigestsEntriesDocFieldEvent {
    field: '$.entries[].doc'
    value: string
    index: number
  }

  export interface DigestsEntriesDigestFieldEvent {
    field: '$.entries[].digest'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface DigestsScopeFieldEvent {
    field: '$.scope'
    value: number
  }

  export interface DigestsBucketsFieldEvent {
    field: '$.buckets[]'
    index: number
    value: number
  }

  export interface DigestsGroupsFieldEvent {
    field: '$.groups'
    value: number
  }

  export interface DigestsNamesFieldEvent {
    field: '$.names'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DigestsMarksFieldEvent {
    field: '$.marks'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DigestsOpenFieldEvent {
    field: '$.open'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Digests>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Digests.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Digests>): Digests {
    return decodeMessage(buf, Digests.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Digests>): Generator<DigestsSessionFieldEvent | DigestsPageFieldEvent | DigestsPagesFieldEvent | DigestsFullFieldEvent | DigestsEntriesDocFieldEvent | DigestsEntriesDigestFieldEvent | DigestsScopeFieldEvent | DigestsBucketsFieldEvent | DigestsGroupsFieldEvent | DigestsNamesFieldEvent | DigestsMarksFieldEvent | DigestsOpenFieldEvent> {
    return streamMessage(buf, Digests.codec(), opts)
  }
}

export interface DocDigest {
  doc: string
  digest: Uint8Array<ArrayBuffer>
}

export namespace DocDigest {
  let _codec: Codec<DocDigest>

  export const codec = (): Codec<DocDigest> => {
    if (_codec == null) {
      _codec = message<DocDigest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.doc != null && obj.doc !== '')) {
          w.uint32(10)
          w.string(obj.doc)
        }

        if ((obj.digest != null && obj.digest.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.digest)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          doc: '',
          digest: uint8ArrayAlloc(0)
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
              obj.digest = reader.bytes()
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
                field: `${prefix}.doc`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.digest`,
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

  export interface DocDigestDocFieldEvent {
    field: '$.doc'
    value: string
  }

  export interface DocDigestDigestFieldEvent {
    field: '$.digest'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<DocDigest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DocDigest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DocDigest>): DocDigest {
    return decodeMessage(buf, DocDigest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DocDigest>): Generator<DocDigestDocFieldEvent | DocDigestDigestFieldEvent> {
    return streamMessage(buf, DocDigest.codec(), opts)
  }
}

export interface DigestsReply {
  session: number
  page: number
  hosted: Uint8Array<ArrayBuffer>
  differing: number
  others: string[]
  hints: HostHint[]
  equal: Uint8Array<ArrayBuffer>
  durable: boolean
  unresolved: Uint8Array<ArrayBuffer>
  proof: Uint8Array<ArrayBuffer>
  trimmed: boolean
  open: Uint8Array<ArrayBuffer>
}

export namespace DigestsReply {
  let _codec: Codec<DigestsReply>

  export const codec = (): Codec<DigestsReply> => {
    if (_codec == null) {
      _codec = message<DigestsReply>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.session != null && obj.session !== 0)) {
          w.uint32(8)
          w.uint32(obj.session)
        }

        if ((obj.page != null && obj.page !== 0)) {
          w.uint32(16)
          w.uint32(obj.page)
        }

        if ((obj.hosted != null && obj.hosted.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.hosted)
        }

        if ((obj.differing != null && obj.differing !== 0)) {
          w.uint32(32)
          w.uint32(obj.differing)
        }

        if (obj.others != null && obj.others.length > 0) {
          for (const value of obj.others) {
            w.uint32(42)
            w.string(value)
          }
        }

        if (obj.hints != null && obj.hints.length > 0) {
          for (const value of obj.hints) {
            w.uint32(50)
            HostHint.codec().encode(value, w)
          }
        }

        if ((obj.equal != null && obj.equal.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.equal)
        }

        if ((obj.durable != null && obj.durable !== false)) {
          w.uint32(64)
          w.bool(obj.durable)
        }

        if ((obj.unresolved != null && obj.unresolved.byteLength > 0)) {
          w.uint32(74)
          w.bytes(obj.unresolved)
        }

        if ((obj.proof != null && obj.proof.byteLength > 0)) {
          w.uint32(82)
          w.bytes(obj.proof)
        }

        if ((obj.trimmed != null && obj.trimmed !== false)) {
          w.uint32(88)
          w.bool(obj.trimmed)
        }

        if ((obj.open != null && obj.open.byteLength > 0)) {
          w.uint32(98)
          w.bytes(obj.open)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          session: 0,
          page: 0,
          hosted: uint8ArrayAlloc(0),
          differing: 0,
          others: [],
          hints: [],
          equal: uint8ArrayAlloc(0),
          durable: false,
          unresolved: uint8ArrayAlloc(0),
          proof: uint8ArrayAlloc(0),
          trimmed: false,
          open: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.session = reader.uint32()
              break
            }
            case 2: {
              obj.page = reader.uint32()
              break
            }
            case 3: {
              obj.hosted = reader.bytes()
              break
            }
            case 4: {
              obj.differing = reader.uint32()
              break
            }
            case 5: {
              if (opts.limits?.others != null && obj.others.length === opts.limits.others) {
                throw new MaxLengthError('Decode error - repeated field "others" had too many elements')
              }

              obj.others.push(reader.string())
              break
            }
            case 6: {
              if (opts.limits?.hints != null && obj.hints.length === opts.limits.hints) {
                throw new MaxLengthError('Decode error - repeated field "hints" had too many elements')
              }

              obj.hints.push(HostHint.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.hints$
              }))
              break
            }
            case 7: {
              obj.equal = reader.bytes()
              break
            }
            case 8: {
              obj.durable = reader.bool()
              break
            }
            case 9: {
              obj.unresolved = reader.bytes()
              break
            }
            case 10: {
              obj.proof = reader.bytes()
              break
            }
            case 11: {
              obj.trimmed = reader.bool()
              break
            }
            case 12: {
              obj.open = reader.bytes()
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
          others: 0,
          hints: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.session`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.page`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.hosted`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.differing`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              if (opts.limits?.others != null && obj.others === opts.limits.others) {
                throw new MaxLengthError('Streaming decode error - repeated field "others" had too many elements')
              }

              yield {
                field: `${prefix}.others[]`,
                index: obj.others,
                value: reader.string()
              }

              obj.others++

              break
            }
            case 6: {
              if (opts.limits?.hints != null && obj.hints === opts.limits.hints) {
                throw new MaxLengthError('Streaming decode error - repeated field "hints" had too many elements')
              }

              for (const evt of HostHint.codec().stream(reader, reader.uint32(), `${prefix}.hints[]`, {
                limits: opts.limits?.hints$
              })) {
                yield {
                  ...evt,
                  index: obj.hints
                }
              }

              obj.hints++

              break
            }
            case 7: {
              yield {
                field: `${prefix}.equal`,
                value: reader.bytes()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.durable`,
                value: reader.bool()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.unresolved`,
                value: reader.bytes()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.proof`,
                value: reader.bytes()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.trimmed`,
                value: reader.bool()
              }
              break
            }
            case 12: {
              yield {
                field: `${prefix}.open`,
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

  export interface DigestsReplySessionFieldEvent {
    field: '$.session'
    value: number
  }

  export interface DigestsReplyPageFieldEvent {
    field: '$.page'
    value: number
  }

  export interface DigestsReplyHostedFieldEvent {
    field: '$.hosted'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DigestsReplyDifferingFieldEvent {
    field: '$.differing'
    value: number
  }

  export interface DigestsReplyOthersFieldEvent {
    field: '$.others[]'
    index: number
    value: string
  }

  export interface DigestsReplyHintsDocFieldEvent {
    field: '$.hints[].doc'
    value: string
    index: number
  }

  export interface DigestsReplyHintsPeersFieldEvent {
    field: '$.hints[].peers[]'
    index: number
    value: string
  }

  export interface DigestsReplyEqualFieldEvent {
    field: '$.equal'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DigestsReplyDurableFieldEvent {
    field: '$.durable'
    value: boolean
  }

  export interface DigestsReplyUnresolvedFieldEvent {
    field: '$.unresolved'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DigestsReplyProofFieldEvent {
    field: '$.proof'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DigestsReplyTrimmedFieldEvent {
    field: '$.trimmed'
    value: boolean
  }

  export interface DigestsReplyOpenFieldEvent {
    field: '$.open'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<DigestsReply>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DigestsReply.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DigestsReply>): DigestsReply {
    return decodeMessage(buf, DigestsReply.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DigestsReply>): Generator<DigestsReplySessionFieldEvent | DigestsReplyPageFieldEvent | DigestsReplyHostedFieldEvent | DigestsReplyDifferingFieldEvent | DigestsReplyOthersFieldEvent | DigestsReplyHintsDocFieldEvent | DigestsReplyHintsPeersFieldEvent | DigestsReplyEqualFieldEvent | DigestsReplyDurableFieldEvent | DigestsReplyUnresolvedFieldEvent | DigestsReplyProofFieldEvent | DigestsReplyTrimmedFieldEvent | DigestsReplyOpenFieldEvent> {
    return streamMessage(buf, DigestsReply.codec(), opts)
  }
}

export interface HostHint {
  doc: string
  peers: string[]
}

export namespace HostHint {
  let _codec: Codec<HostHint>

  export const codec = (): Codec<HostHint> => {
    if (_codec == null) {
      _codec = message<HostHint>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.doc != null && obj.doc !== '')) {
          w.uint32(10)
          w.string(obj.doc)
        }

        if (obj.peers != null && obj.peers.length > 0) {
          for (const value of obj.peers) {
            w.uint32(18)
            w.string(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          doc: '',
          peers: []
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
              if (opts.limits?.peers != null && obj.peers.length === opts.limits.peers) {
                throw new MaxLengthError('Decode error - repeated field "peers" had too many elements')
              }

              obj.peers.push(reader.string())
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
          peers: 0
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
              if (opts.limits?.peers != null && obj.peers === opts.limits.peers) {
                throw new MaxLengthError('Streaming decode error - repeated field "peers" had too many elements')
              }

              yield {
                field: `${prefix}.peers[]`,
                index: obj.peers,
                value: reader.string()
              }

              obj.peers++

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

  export interface HostHintDocFieldEvent {
    field: '$.doc'
    value: string
  }

  export interface HostHintPeersFieldEvent {
    field: '$.peers[]'
    index: number
    value: string
  }

  export function encode (obj: Partial<HostHint>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, HostHint.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HostHint>): HostHint {
    return decodeMessage(buf, HostHint.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HostHint>): Generator<HostHintDocFieldEvent | HostHintPeersFieldEvent> {
    return streamMessage(buf, HostHint.codec(), opts)
  }
}

export interface SyncDoc {
  session: number
  step: number
  doc: string
  vector: VectorEntry[]
  update: Uint8Array<ArrayBuffer>
  durable: boolean
  digest: Uint8Array<ArrayBuffer>
  covers: boolean
}

export namespace SyncDoc {
  let _codec: Codec<SyncDoc>

  export const codec = (): Codec<SyncDoc> => {
    if (_codec == null) {
      _codec = message<SyncDoc>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.session != null && obj.session !== 0)) {
          w.uint32(8)
          w.uint32(obj.session)
        }

        if ((obj.step != null && obj.step !== 0)) {
          w.uint32(16)
          w.uint32(obj.step)
        }

        if ((obj.doc != null && obj.doc !== '')) {
          w.uint32(26)
          w.string(obj.doc)
        }

        if (obj.vector != null && obj.vector.length > 0) {
          for (const value of obj.vector) {
            w.uint32(34)
            VectorEntry.codec().encode(value, w)
          }
        }

        if ((obj.update != null && obj.update.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.update)
        }

        if ((obj.durable != null && obj.durable !== false)) {
          w.uint32(48)
          w.bool(obj.durable)
        }

        if ((obj.digest != null && obj.digest.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.digest)
        }

        if ((obj.covers != null && obj.covers !== false)) {
          w.uint32(64)
          w.bool(obj.covers)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          session: 0,
          step: 0,
          doc: '',
          vector: [],
          update: uint8ArrayAlloc(0),
          durable: false,
          digest: uint8ArrayAlloc(0),
          covers: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.session = reader.uint32()
              break
            }
            case 2: {
              obj.step = reader.uint32()
              break
            }
            case 3: {
              obj.doc = reader.string()
              break
            }
            case 4: {
              if (opts.limits?.vector != null && obj.vector.length === opts.limits.vector) {
                throw new MaxLengthError('Decode error - repeated field "vector" had too many elements')
              }

              obj.vector.push(VectorEntry.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.vector$
              }))
              break
            }
            case 5: {
              obj.update = reader.bytes()
              break
            }
            case 6: {
              obj.durable = reader.bool()
              break
            }
            case 7: {
              obj.digest = reader.bytes()
              break
            }
            case 8: {
              obj.covers = reader.bool()
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
          vector: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.session`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.step`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.doc`,
                value: reader.string()
              }
              break
            }
            case 4: {
              if (opts.limits?.vector != null && obj.vector === opts.limits.vector) {
                throw new MaxLengthError('Streaming decode error - repeated field "vector" had too many elements')
              }

              for (const evt of VectorEntry.codec().stream(reader, reader.uint32(), `${prefix}.vector[]`, {
                limits: opts.limits?.vector$
              })) {
                yield {
                  ...evt,
                  index: obj.vector
                }
              }

              obj.vector++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.update`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.durable`,
                value: reader.bool()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.digest`,
                value: reader.bytes()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.covers`,
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

  export interface SyncDocSessionFieldEvent {
    field: '$.session'
    value: number
  }

  export interface SyncDocStepFieldEvent {
    field: '$.step'
    value: number
  }

  export interface SyncDocDocFieldEvent {
    field: '$.doc'
    value: string
  }

  export interface SyncDocVectorReplicaFieldEvent {
    field: '$.vector[].replica'
    value: number
    index: number
  }

  export interface SyncDocVectorClockFieldEvent {
    field: '$.vector[].clock'
    value: number
    index: number
  }

  export interface SyncDocUpdateFieldEvent {
    field: '$.update'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncDocDurableFieldEvent {
    field: '$.durable'
    value: boolean
  }

  export interface SyncDocDigestFieldEvent {
    field: '$.digest'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncDocCoversFieldEvent {
    field: '$.covers'
    value: boolean
  }

  export function encode (obj: Partial<SyncDoc>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncDoc.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncDoc>): SyncDoc {
    return decodeMessage(buf, SyncDoc.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncDoc>): Generator<SyncDocSessionFieldEvent | SyncDocStepFieldEvent | SyncDocDocFieldEvent | SyncDocVectorReplicaFieldEvent | SyncDocVectorClockFieldEvent | SyncDocUpdateFieldEvent | SyncDocDurableFieldEvent | SyncDocDigestFieldEvent | SyncDocCoversFieldEvent> {
    return streamMessage(buf, SyncDoc.codec(), opts)
  }
}

export interface VectorEntry {
  replica: number
  clock: number
}

export namespace VectorEntry {
  let _codec: Codec<VectorEntry>

  export const codec = (): Codec<VectorEntry> => {
    if (_codec == null) {
      _codec = message<VectorEntry>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.replica != null && obj.replica !== 0)) {
          w.uint32(8)
          w.uint32(obj.replica)
        }

        if ((obj.clock != null && obj.clock !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.clock)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          replica: 0,
          clock: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.replica = reader.uint32()
              break
            }
            case 2: {
              obj.clock = reader.uint64Number()
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
                field: `${prefix}.replica`,
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

  export interface VectorEntryReplicaFieldEvent {
    field: '$.replica'
    value: number
  }

  export interface VectorEntryClockFieldEvent {
    field: '$.clock'
    value: number
  }

  export function encode (obj: Partial<VectorEntry>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, VectorEntry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<VectorEntry>): VectorEntry {
    return decodeMessage(buf, VectorEntry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<VectorEntry>): Generator<VectorEntryReplicaFieldEvent | VectorEntryClockFieldEvent> {
    return streamMessage(buf, VectorEntry.codec(), opts)
  }
}

export interface Update {
  doc: string
  update: Uint8Array<ArrayBuffer>
  ackId: number
  spread: boolean
  open?: boolean
}

export namespace Update {
  let _codec: Codec<Update>

  export const codec = (): Codec<Update> => {
    if (_codec == null) {
      _codec = message<Update>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.doc != null && obj.doc !== '')) {
          w.uint32(10)
          w.string(obj.doc)
        }

        if ((obj.update != null && obj.update.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.update)
        }

        if ((obj.ackId != null && obj.ackId !== 0)) {
          w.uint32(24)
          w.uint32(obj.ackId)
        }

        if ((obj.spread != null && obj.spread !== false)) {
          w.uint32(32)
          w.bool(obj.spread)
        }

        if (obj.open != null) {
          w.uint32(40)
          w.bool(obj.open)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          doc: '',
          update: uint8ArrayAlloc(0),
          ackId: 0,
          spread: false
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
              obj.update = reader.bytes()
              break
            }
            case 3: {
              obj.ackId = reader.uint32()
              break
            }
            case 4: {
              obj.spread = reader.bool()
              break
            }
            case 5: {
              obj.open = reader.bool()
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
                field: `${prefix}.doc`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.update`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.ackId`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.spread`,
                value: reader.bool()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.open`,
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

  export interface UpdateDocFieldEvent {
    field: '$.doc'
    value: string
  }

  export interface UpdateUpdateFieldEvent {
    field: '$.update'
    value: Uint8Array<ArrayBuffer>
  }

  export interface UpdateAckIdFieldEvent {
    field: '$.ackId'
    value: number
  }

  export interface UpdateSpreadFieldEvent {
    field: '$.spread'
    value: boolean
  }

  export interface UpdateOpenFieldEvent {
    field: '$.open'
    value: boolean
  }

  export function encode (obj: Partial<Update>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Update.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Update>): Update {
    return decodeMessage(buf, Update.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Update>): Generator<UpdateDocFieldEvent | UpdateUpdateFieldEvent | UpdateAckIdFieldEvent | UpdateSpreadFieldEvent | UpdateOpenFieldEvent> {
    return streamMessage(buf, Update.codec(), opts)
  }
}

export interface Ack {
  doc: string
  ackId: number
  vector: VectorEntry[]
  durable: boolean
}

export namespace Ack {
  let _codec: Codec<Ack>

  export const codec = (): Codec<Ack> => {
    if (_codec == null) {
      _codec = message<Ack>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.doc != null && obj.doc !== '')) {
          w.uint32(10)
          w.string(obj.doc)
        }

        if ((obj.ackId != null && obj.ackId !== 0)) {
          w.uint32(16)
          w.uint32(obj.ackId)
        }

        if (obj.vector != null && obj.vector.length > 0) {
          for (const value of obj.vector) {
            w.uint32(26)
            VectorEntry.codec().encode(value, w)
          }
        }

        if ((obj.durable != null && obj.durable !== false)) {
          w.uint32(32)
          w.bool(obj.durable)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          doc: '',
          ackId: 0,
          vector: [],
          durable: false
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
              obj.ackId = reader.uint32()
              break
            }
            case 3: {
              if (opts.limits?.vector != null && obj.vector.length === opts.limits.vector) {
                throw new MaxLengthError('Decode error - repeated field "vector" had too many elements')
              }

              obj.vector.push(VectorEntry.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.vector$
              }))
              break
            }
            case 4: {
              obj.durable = reader.bool()
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
          vector: 0
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
                field: `${prefix}.ackId`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              if (opts.limits?.vector != null && obj.vector === opts.limits.vector) {
                throw new MaxLengthError('Streaming decode error - repeated field "vector" had too many elements')
              }

              for (const evt of VectorEntry.codec().stream(reader, reader.uint32(), `${prefix}.vector[]`, {
                limits: opts.limits?.vector$
              })) {
                yield {
                  ...evt,
                  index: obj.vector
                }
              }

              obj.vector++

              break
            }
            case 4: {
              yield {
                field: `${prefix}.durable`,
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

  export interface AckDocFieldEvent {
    field: '$.doc'
    value: string
  }

  export interface AckAckIdFieldEvent {
    field: '$.ackId'
    value: number
  }

  export interface AckVectorReplicaFieldEvent {
    field: '$.vector[].replica'
    value: number
    index: number
  }

  export interface AckVectorClockFieldEvent {
    field: '$.vector[].clock'
    value: number
    index: number
  }

  export interface AckDurableFieldEvent {
    field: '$.durable'
    value: boolean
  }

  export function encode (obj: Partial<Ack>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Ack.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ack>): Ack {
    return decodeMessage(buf, Ack.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ack>): Generator<AckDocFieldEvent | AckAckIdFieldEvent | AckVectorReplicaFieldEvent | AckVectorClockFieldEvent | AckDurableFieldEvent> {
    return streamMessage(buf, Ack.codec(), opts)
  }
}

export interface Chunk {
  transfer: number
  index: number
  count: number
  data: Uint8Array<ArrayBuffer>
}

export namespace Chunk {
  let _codec: Codec<Chunk>

  export const codec = (): Codec<Chunk> => {
    if (_codec == null) {
      _codec = message<Chunk>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.transfer != null && obj.transfer !== 0)) {
          w.uint32(8)
          w.uint32(obj.transfer)
        }

        if ((obj.index != null && obj.index !== 0)) {
          w.uint32(16)
          w.uint32(obj.index)
        }

        if ((obj.count != null && obj.count !== 0)) {
          w.uint32(24)
          w.uint32(obj.count)
        }

        if ((obj.data != null && obj.data.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.data)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          transfer: 0,
          index: 0,
          count: 0,
          data: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.transfer = reader.uint32()
              break
            }
            case 2: {
              obj.index = reader.uint32()
              break
            }
            case 3: {
              obj.count = reader.uint32()
              break
            }
            case 4: {
              obj.data = reader.bytes()
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
                field: `${prefix}.transfer`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.index`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.count`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.data`,
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

  export interface ChunkTransferFieldEvent {
    field: '$.transfer'
    value: number
  }

  export interface ChunkIndexFieldEvent {
    field: '$.index'
    value: number
  }

  export interface ChunkCountFieldEvent {
    field: '$.count'
    value: number
  }

  export interface ChunkDataFieldEvent {
    field: '$.data'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Chunk>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Chunk.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Chunk>): Chunk {
    return decodeMessage(buf, Chunk.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Chunk>): Generator<ChunkTransferFieldEvent | ChunkIndexFieldEvent | ChunkCountFieldEvent | ChunkDataFieldEvent> {
    return streamMessage(buf, Chunk.codec(), opts)
  }
}
