/**
 * Kinesis Producer Library aggregates (the processing contract's "Aggregated records"), pure.
 * The KPL packs many user records into one Kinesis record:
 *
 *     F3 89 9A C2 | protobuf AggregatedRecord | MD5 of that protobuf (16 bytes)
 *
 *     message AggregatedRecord {
 *         repeated string partition_key_table = 1;
 *         repeated string explicit_hash_key_table = 2;
 *         repeated Record records = 3;
 *     }
 *     message Record {
 *         required uint64 partition_key_index = 1;
 *         optional uint64 explicit_hash_key_index = 2;
 *         required bytes data = 3;
 *         repeated Tag tags = 4;
 *     }
 *     message Tag { required string key = 1; optional string value = 2; }
 *
 * The explicit hash keys are skipped: they only chose the shard the aggregate went to, and nothing
 * here uses them. The wire format is read with @bufbuild/protobuf's BinaryReader (see
 * docs/processing.md, "Aggregated records", for why that library). Serialized into the Lambda: top-level functions only.
 */
import { createHash } from "crypto";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

/** One user record of an aggregate, in the aggregate's order (its index is its subSequenceNumber). */
export interface UserRecord {
    partitionKey: string;
    data: Buffer;
}

export type Deaggregation = { ok: true; records: UserRecord[] } | { ok: false; reason: string };

/** Length of the KPL magic prefix and of the MD5 trailer. */
const MAGIC_BYTES = 4;
const MD5_BYTES = 16;

/** True when the data starts with the KPL magic bytes F3 89 9A C2. */
export function isAggregate(data: Uint8Array): boolean {
    return data.length >= MAGIC_BYTES && data[0] === 0xf3 && data[1] === 0x89 && data[2] === 0x9a && data[3] === 0xc2;
}

/**
 * The user records of an aggregate (`isAggregate(data)` must hold), or why it cannot be trusted:
 * a wrong MD5, a protobuf that does not decode, or a record that points outside the key table.
 * Reasons start with `aggregate:`, so that a quarantined aggregate says what it was.
 */
export function deaggregate(data: Uint8Array): Deaggregation {
    if (data.length < MAGIC_BYTES + MD5_BYTES) {
        return { ok: false, reason: `aggregate: ${data.length} bytes, too short for the magic and an MD5` };
    }
    const message = data.subarray(MAGIC_BYTES, data.length - MD5_BYTES);
    const checksum = Buffer.from(data.subarray(data.length - MD5_BYTES));
    if (!createHash("md5").update(message).digest().equals(checksum)) {
        return { ok: false, reason: "aggregate: MD5 does not match the protobuf message" };
    }
    try {
        return { ok: true, records: decodeAggregatedRecord(message) };
    } catch (error) {
        return { ok: false, reason: `aggregate: ${error instanceof Error ? error.message : String(error)}` };
    }
}

/** Decodes an AggregatedRecord; throws with a short description of what is wrong. */
export function decodeAggregatedRecord(message: Uint8Array): UserRecord[] {
    const reader = new BinaryReader(message);
    const partitionKeys: string[] = [];
    const records: { partitionKeyIndex: number; data: Uint8Array }[] = [];
    while (reader.pos < reader.len) {
        const [field, wireType] = reader.tag();
        if (field === 1 || field === 3) expectWireType(field, wireType, WireType.LengthDelimited);
        if (field === 1) partitionKeys.push(reader.string(true));
        else if (field === 3) records.push(decodeRecord(reader.bytes(), records.length));
        else reader.skip(wireType, field);
    }
    if (records.length === 0) throw new Error("no user records");
    return records.map((record, index) => {
        const partitionKey = partitionKeys[record.partitionKeyIndex];
        if (partitionKey === undefined) {
            throw new Error(
                `record ${index}: partition_key_index ${record.partitionKeyIndex} outside the table of ${partitionKeys.length}`,
            );
        }
        return {
            partitionKey,
            data: Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength),
        };
    });
}

/** Decodes one Record; its explicit hash key index and tags are not needed and are skipped. */
function decodeRecord(bytes: Uint8Array, index: number): { partitionKeyIndex: number; data: Uint8Array } {
    const reader = new BinaryReader(bytes);
    let partitionKeyIndex: number | undefined;
    let data: Uint8Array | undefined;
    while (reader.pos < reader.len) {
        const [field, wireType] = reader.tag();
        if (field === 1) {
            expectWireType(field, wireType, WireType.Varint, `record ${index}: `);
            partitionKeyIndex = Number(reader.uint64());
        } else if (field === 3) {
            expectWireType(field, wireType, WireType.LengthDelimited, `record ${index}: `);
            data = reader.bytes();
        } else {
            reader.skip(wireType, field);
        }
    }
    if (partitionKeyIndex === undefined) throw new Error(`record ${index}: no partition_key_index`);
    if (data === undefined) throw new Error(`record ${index}: no data`);
    return { partitionKeyIndex, data };
}

function expectWireType(field: number, actual: WireType, expected: WireType, where = ""): void {
    if (actual !== expected) throw new Error(`${where}field ${field} has wire type ${actual}, expected ${expected}`);
}
