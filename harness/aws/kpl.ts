/**
 * The Kinesis Producer Library's aggregation, as a producer does it: many user records in one
 * Kinesis record, `F3 89 9A C2 | protobuf AggregatedRecord | MD5 of the protobuf`. The local
 * producer and the tests use it; the processor reads it with pipeline/runtime/kpl.ts.
 */
import { createHash } from "crypto";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

export const KPL_MAGIC = Buffer.from([0xf3, 0x89, 0x9a, 0xc2]);

export interface UserRecordInput {
    partitionKey: string;
    data: Uint8Array | string;
    explicitHashKey?: string;
}

/** Each distinct string once, and where each input's string sits in that table. */
function table(values: (string | undefined)[]): { entries: string[]; indexes: (number | undefined)[] } {
    const entries: string[] = [];
    const positions = new Map<string, number>();
    const indexes = values.map(value => {
        if (value === undefined) return undefined;
        if (!positions.has(value)) positions.set(value, entries.push(value) - 1);
        return positions.get(value);
    });
    return { entries, indexes };
}

/** The AggregatedRecord protobuf message alone (no magic, no MD5). */
export function encodeAggregatedRecord(records: UserRecordInput[]): Uint8Array {
    const keys = table(records.map(record => record.partitionKey));
    const hashKeys = table(records.map(record => record.explicitHashKey));
    const writer = new BinaryWriter();
    for (const key of keys.entries) writer.tag(1, WireType.LengthDelimited).string(key);
    for (const key of hashKeys.entries) writer.tag(2, WireType.LengthDelimited).string(key);
    records.forEach((record, i) => {
        writer.tag(3, WireType.LengthDelimited).fork();
        writer.tag(1, WireType.Varint).uint64(keys.indexes[i]!);
        if (hashKeys.indexes[i] !== undefined) writer.tag(2, WireType.Varint).uint64(hashKeys.indexes[i]!);
        writer.tag(3, WireType.LengthDelimited).bytes(Buffer.from(record.data));
        writer.join();
    });
    return writer.finish();
}

/** Frames a protobuf message as the KPL does: magic, message, MD5 of the message. */
export function frameAggregate(message: Uint8Array): Buffer {
    const md5 = createHash("md5").update(message).digest();
    return Buffer.concat([KPL_MAGIC, message, md5]);
}

/** One Kinesis record's data holding `records` as a KPL aggregate. */
export function aggregateRecords(records: UserRecordInput[]): Buffer {
    return frameAggregate(encodeAggregatedRecord(records));
}
