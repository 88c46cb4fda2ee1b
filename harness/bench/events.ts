/**
 * The bench's batches: valid ticks of one day, as an event source mapping delivers them. A batch
 * is a pure function of the seed and its index, so that every contender's process can make the
 * same batches itself (nothing big crosses IPC) and the emulator check can make them again.
 */
import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { EMULATOR_REGION } from "../aws/emulators";
import type { PutRecord } from "../local-stack/producer";
import { seededRandom } from "../local-stack/ticks";

export interface BenchBatch {
    event: KinesisStreamEvent;
    /** What was sent, record by record, as the local run's reconciliation reads it. */
    records: PutRecord[];
}

const SYMBOLS = ["AAPL", "MSFT", "GOOGL", "AMZN", "NVDA", "META", "TSLA", "BRK.B", "JPM", "V", "^GSPC", "BTC-USD"];
const SHARD_ID = "shardId-000000000000";
/** A realistic 56-digit sequence number; records are spaced 10^20 apart, plus a seeded jitter below that. */
const FIRST_SEQUENCE = 49_658_236_129_436_911_870_164_734_012_893_445_376_122_049_872_034_332_674n;
const SEQUENCE_STEP = 10n ** 20n;
/** Every tick's timestamp is one microsecond after the previous one's, from 2026-11-28T14:30:00 on: one day, all keys distinct. */
const FIRST_MICROS = BigInt(Date.UTC(2026, 10, 28, 14, 30, 0)) * 1000n;
/** 2026-11-28T14:30:01Z: when the records reached the stream (it names their raw/ folder). */
const ARRIVAL_SECONDS = 1795876201;

/** A price in plain decimal text, never ending in 0 (DynamoDB would drop it); every 10th with 24 decimals, beyond a double. */
function price(random: () => number, index: number): string {
    const whole = 1 + Math.floor(random() * 999);
    const decimals = index % 10 === 0 ? 24 : 2 + Math.floor(random() * 3);
    let fraction = "";
    for (let i = 0; i < decimals - 1; i++) fraction += Math.floor(random() * 10);
    return `${whole}.${fraction}${1 + Math.floor(random() * 9)}`;
}

function isoMicros(micros: bigint): string {
    const seconds = new Date(Number(micros / 1000n)).toISOString().slice(0, 19);
    return `${seconds}.${String(micros % 1_000_000n).padStart(6, "0")}`;
}

/** Batch `index` (0, 1, …) of `size` ticks for `seed`: the same arguments always give the same batch. */
export function benchBatch(seed: number, index: number, size: number): BenchBatch {
    const random = seededRandom((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
    const records: PutRecord[] = [];
    const kinesisRecords: KinesisStreamRecord[] = [];
    for (let i = 0; i < size; i++) {
        const n = index * size + i;
        const sequenceNumber = (
            FIRST_SEQUENCE +
            BigInt(n) * SEQUENCE_STEP +
            BigInt(Math.floor(random() * 1e9))
        ).toString();
        const symbol = SYMBOLS[n % SYMBOLS.length];
        const tick = { symbol, price: price(random, n), timestamp: isoMicros(FIRST_MICROS + BigInt(n)) };
        // As module 1 writes it (Python's json.dumps): spaces after the separators, the price a number.
        const data = Buffer.from(
            `{"symbol": ${JSON.stringify(symbol)}, "price": ${tick.price}, "timestamp": "${tick.timestamp}"}`,
        );
        records.push({ data, partitionKey: symbol, producedAt: 0, tick, sequenceNumber, shardId: SHARD_ID });
        kinesisRecords.push({
            kinesis: {
                kinesisSchemaVersion: "1.0",
                partitionKey: symbol,
                sequenceNumber,
                data: data.toString("base64"),
                approximateArrivalTimestamp: ARRIVAL_SECONDS + n / 1000,
            },
            eventSource: "aws:kinesis",
            eventVersion: "1.0",
            eventID: `${SHARD_ID}:${sequenceNumber}`,
            eventName: "aws:kinesis:record",
            invokeIdentityArn: "arn:aws:iam::123456789012:role/bench",
            awsRegion: EMULATOR_REGION,
            eventSourceARN: `arn:aws:kinesis:${EMULATOR_REGION}:123456789012:stream/stock-market-stream`,
        });
    }
    return { event: { Records: kinesisRecords }, records };
}
