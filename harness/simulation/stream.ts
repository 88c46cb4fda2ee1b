/**
 * A schedule's stream: shards of Kinesis records (ticks, malformed records, KPL aggregates), and
 * for each record what the processing contract says it must leave behind (the oracle). The
 * oracle is built from how a record was made, not from the processor's own parser.
 *
 * Ticks use few symbols and timestamps, so that records of the same key (symbol, timestamp) meet
 * within and across batches; every tick has a price of its own, so that an item names the record
 * that wrote it. Each symbol belongs to one shard: Kinesis keeps order per shard only, and the
 * contract's "latest wins" across batches rests on that (README, "Latest wins").
 */
import type { KinesisStreamRecord } from "aws-lambda";
import { aggregateRecords } from "../aws/kpl";
import type { Choices } from "./choices";

/** What one processed record (a Kinesis record, or a user record of an aggregate) must leave behind. */
export interface ExpectedRecord {
    /** `<sequenceNumber>` or `<sequenceNumber>-<subSequenceNumber>`: what its object keys end in. */
    id: string;
    /** Short name for traces: `s0#3` (shard 0, 4th record), `s0#3.1` (its user record 1). */
    name: string;
    sequenceNumber: string;
    subSequenceNumber?: number;
    shardId: string;
    partitionKey: string;
    /** Epoch seconds, as in the event. */
    arrival: number;
    /** The bytes its raw copy holds. */
    data: Buffer;
    /** A valid tick's fields (price in canonical form); absent for a record to quarantine. */
    tick?: { symbol: string; timestamp: string; day: string; price: string };
    /** Its position in the stream: (shard, index in shard, sub-sequence), for "latest wins". */
    order: [number, number, number];
}

/** One Kinesis record of the stream. */
export interface StreamRecord {
    shard: number;
    /** Position in its shard. */
    index: number;
    sequenceNumber: string;
    partitionKey: string;
    event: KinesisStreamRecord;
    /** The records it is processed as: itself, or the user records of an aggregate. */
    expected: ExpectedRecord[];
}

export interface Stream {
    shards: StreamRecord[][];
    /** Every processed record, in stream order per shard. */
    all: ExpectedRecord[];
    /** Valid records by item key, oldest first. */
    byKey: Map<string, ExpectedRecord[]>;
    /** Valid records by `expectedItemKey + "\0" + canonical price`. */
    byItem: Map<string, ExpectedRecord>;
}

const SIMULATED_STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/stock-market-stream";
/** 2026-11-28T14:30:00Z; or 2026-11-28T23:59:59Z to cross a UTC day within a batch. */
const STARTS = [1795876200, 1795910399];
const SYMBOLS_BY_SHARD = [
    ["AAPL", "BRK.B"],
    ["^GSPC", "BTC-USD"],
    ["EURUSD=X", "MSFT"],
];
/** Timestamps as written: their day is the written one, offsets are never converted. */
const TIMESTAMPS = [
    "2026-11-28T14:30:00",
    "2026-11-28T23:30:00.123456789-05:00",
    "2026-11-29 00:00:01Z",
    "2026-11-28T14:30",
];
/** Price fractions: none, short, a trailing zero, and more digits than a double keeps. */
const FRACTIONS = ["", "25", "10", "123456789012345678901234"];
const INVALID_PAYLOADS: ((uid: number) => string | Buffer)[] = [
    uid => `not json ${uid}`,
    () => "",
    uid => Buffer.from([0xff, 0xfe, uid & 0x7f]),
    uid => `[${uid}]`,
    uid => `{"symbol":"A/B","price":${uid},"timestamp":"2026-11-28T14:30:00"}`,
    uid => `{"symbol":"AAPL","price":-${uid}.5,"timestamp":"2026-11-28T14:30:00"}`,
    uid => `{"symbol":"AAPL","price":${uid},"timestamp":"2026-02-30T14:30:00"}`,
    uid => `{"symbol":"AAPL","timestamp":"2026-11-28T14:30:00","note":${uid}}`,
    uid => `{"symbol":"AAPL","price":"NaN","timestamp":"2026-11-28T14:30:00","n":${uid}}`,
];

/**
 * The DynamoDB item's key, as one string: written apart from the handler's tickKey, so that the
 * simulation's checks do not share a bug of the code they check.
 */
export function expectedItemKey(symbol: string, timestamp: string): string {
    return `${symbol}\u0000${timestamp}`;
}

/** A decimal's canonical text: no exponent, no leading or trailing zeros beyond one before the point. */
export function canonicalDecimal(text: string): string | undefined {
    const match = /^(-?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
    if (!match) return undefined;
    const [, sign, whole, fraction = "", exponent = "0"] = match;
    const shift = Number(exponent);
    if (!Number.isSafeInteger(shift) || Math.abs(shift) > 1000) return undefined;
    const digits = whole + fraction;
    const point = whole.length + shift;
    const padded = point < 0 ? "0".repeat(-point) + digits : digits.padEnd(point, "0");
    const at = Math.max(point, 0);
    const integer = padded.slice(0, at).replace(/^0+/, "") || "0";
    const decimals = padded.slice(at).replace(/0+$/, "");
    const value = decimals ? `${integer}.${decimals}` : integer;
    return sign && value !== "0" ? `-${value}` : value;
}

/** Stream order of two processed records of one shard. */
export function compareOrder(a: ExpectedRecord, b: ExpectedRecord): number {
    return a.order[0] - b.order[0] || a.order[1] - b.order[1] || a.order[2] - b.order[2];
}

interface UserRecordDraft {
    partitionKey: string;
    data: Buffer;
    tick?: ExpectedRecord["tick"];
}

export interface StreamShape {
    shards: number;
    recordsPerShard: number;
    /** Aggregates hold records of one key only (with PF > 1, where AWS says aggregation does not mix). */
    aggregatesOfOneKey: boolean;
    /** Timestamps from dozens, not a handful: more distinct item keys than one BatchWriteItem takes. */
    manyKeys: boolean;
}

/** Draws a stream: which records, in which shards, with which sequence numbers and arrival times. */
export function drawStream(choices: Choices, shape: StreamShape): Stream {
    // Sequence numbers: realistic 56-digit numbers, or ones that gain a digit mid-stream.
    const base = choices.pick([49590338271490256608559692538361571095921575989136588898n, 10n ** 56n - 40n]);
    const start = choices.pick(STARTS);
    let uid = 0;
    let counter = 0n;
    const shards: StreamRecord[][] = [];
    for (let shard = 0; shard < shape.shards; shard++) {
        const shardId = `shardId-${String(shard).padStart(12, "0")}`;
        const records: StreamRecord[] = [];
        let arrivalMs = start * 1000 + 123;
        for (let index = 0; index < shape.recordsPerShard; index++) {
            counter += BigInt(1 + choices.int(3));
            const sequenceNumber = String(base + counter * 7n + BigInt(shard));
            arrivalMs += choices.int(400);
            const arrival = arrivalMs / 1000;
            const kind = choices.weighted([
                ["tick", 6],
                ["invalid", 1.5],
                ["aggregate", 2],
                ["broken-aggregate", 0.3],
            ] as const);
            const drafts: UserRecordDraft[] = [];
            let data: Buffer;
            let partitionKey: string;
            let aggregate = false;
            if (kind === "tick" || kind === "invalid") {
                const draft =
                    kind === "tick"
                        ? drawTick(choices, shard, ++uid, shape.manyKeys)
                        : drawInvalid(choices, shard, ++uid);
                drafts.push(draft);
                data = draft.data;
                partitionKey = draft.partitionKey;
            } else {
                const count = choices.between(1, 3);
                const key = choices.pick(SYMBOLS_BY_SHARD[shard % SYMBOLS_BY_SHARD.length]);
                for (let i = 0; i < count; i++) {
                    const draft = choices.flip(0.2)
                        ? drawInvalid(choices, shard, ++uid)
                        : drawTick(choices, shard, ++uid, shape.manyKeys);
                    if (shape.aggregatesOfOneKey) {
                        draft.partitionKey = key;
                        if (draft.tick) {
                            draft.tick.symbol = key;
                            draft.data = Buffer.from(tickJson(key, draft));
                        }
                    }
                    drafts.push(draft);
                }
                data = aggregateRecords(drafts.map(d => ({ partitionKey: d.partitionKey, data: d.data })));
                partitionKey = drafts[0].partitionKey;
                aggregate = kind === "aggregate";
                if (!aggregate) data[data.length - 1] ^= 0xff; // the MD5 no longer matches: one invalid record
            }
            const event = eventRecord(shardId, sequenceNumber, partitionKey, data, arrival);
            const expected: ExpectedRecord[] = aggregate
                ? drafts.map((draft, sub) => ({
                      id: `${sequenceNumber}-${sub}`,
                      name: `s${shard}#${index}.${sub}`,
                      sequenceNumber,
                      subSequenceNumber: sub,
                      shardId,
                      partitionKey: draft.partitionKey,
                      arrival,
                      data: draft.data,
                      tick: draft.tick,
                      order: [shard, index, sub],
                  }))
                : [
                      {
                          id: sequenceNumber,
                          name: `s${shard}#${index}`,
                          sequenceNumber,
                          shardId,
                          partitionKey,
                          arrival,
                          data,
                          tick: kind === "tick" ? drafts[0].tick : undefined,
                          order: [shard, index, -1],
                      },
                  ];
            records.push({ shard, index, sequenceNumber, partitionKey, event, expected });
        }
        shards.push(records);
    }
    return index(shards);
}

function index(shards: StreamRecord[][]): Stream {
    const all = shards.flat().flatMap(record => record.expected);
    const byKey = new Map<string, ExpectedRecord[]>();
    const byItem = new Map<string, ExpectedRecord>();
    for (const record of all) {
        if (!record.tick) continue;
        const key = expectedItemKey(record.tick.symbol, record.tick.timestamp);
        const same = byKey.get(key);
        if (same) same.push(record);
        else byKey.set(key, [record]);
        byItem.set(`${key}\u0000${record.tick.price}`, record);
    }
    return { shards, all, byKey, byItem };
}

function drawTick(choices: Choices, shard: number, uid: number, manyKeys: boolean): UserRecordDraft {
    const symbol = choices.pick(SYMBOLS_BY_SHARD[shard % SYMBOLS_BY_SHARD.length]);
    const timestamp = manyKeys
        ? `2026-11-28T14:${String(choices.int(60)).padStart(2, "0")}:00`
        : choices.pick(TIMESTAMPS);
    const fraction = choices.pick(FRACTIONS);
    const price = canonicalDecimal(`${uid}.${fraction}`)!;
    const written = choices.pick([
        `${uid}${fraction ? `.${fraction}` : ""}`,
        `"${uid}.${fraction || "0"}"`,
        `${uid}${fraction}e-${fraction.length}`,
    ]);
    const tick = { symbol, timestamp, day: timestamp.slice(0, 10), price };
    const draft = { partitionKey: symbol, data: Buffer.alloc(0), tick, written, extra: choices.flip(0.2) };
    draft.data = Buffer.from(tickJson(symbol, draft));
    return draft;
}

function tickJson(symbol: string, draft: UserRecordDraft & { written?: string; extra?: boolean }): string {
    const extra = draft.extra ? `,"venue":"XNAS"` : "";
    return `{"symbol":"${symbol}","price":${draft.written},"timestamp":"${draft.tick!.timestamp}"${extra}}`;
}

function drawInvalid(choices: Choices, shard: number, uid: number): UserRecordDraft {
    const payload = choices.pick(INVALID_PAYLOADS)(uid);
    const partitionKey = choices.pick(SYMBOLS_BY_SHARD[shard % SYMBOLS_BY_SHARD.length]);
    return { partitionKey, data: Buffer.from(payload) };
}

function eventRecord(
    shardId: string,
    sequenceNumber: string,
    partitionKey: string,
    data: Buffer,
    arrival: number,
): KinesisStreamRecord {
    return {
        eventID: `${shardId}:${sequenceNumber}`,
        eventName: "aws:kinesis:record",
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventSourceARN: SIMULATED_STREAM_ARN,
        awsRegion: "us-east-1",
        invokeIdentityArn: "arn:aws:iam::123456789012:role/processor",
        kinesis: {
            kinesisSchemaVersion: "1.0",
            partitionKey,
            sequenceNumber,
            data: data.toString("base64"),
            approximateArrivalTimestamp: arrival,
        },
    };
}
