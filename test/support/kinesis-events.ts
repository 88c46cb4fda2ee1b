import type { KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { aggregateRecords } from "../../harness/aws/kpl";
import { lowestFailure } from "../../harness/event-source-mapping/checkpoint";
import { compareSequenceNumbers } from "../../pipeline/runtime/batch";

/** A realistic 56-digit Kinesis sequence number; `n` orders them. */
export function sequenceNumber(n: number): string {
    return `4959033827149025660855969253836157109592157598913658${String(n).padStart(4, "0")}`;
}

export const ARRIVAL = 1795876200.123; // 2026-11-28T14:30:00.123Z

/** One Kinesis record as an event source mapping delivers it. */
export function kinesisRecord(
    data: string | Uint8Array,
    n: number,
    shardId = "shardId-000000000000",
): KinesisStreamRecord {
    const seq = sequenceNumber(n);
    return {
        eventID: `${shardId}:${seq}`,
        eventName: "aws:kinesis:record",
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventSourceARN: "arn:aws:kinesis:us-east-1:123456789012:stream/stock-market-stream",
        awsRegion: "us-east-1",
        invokeIdentityArn: "arn:aws:iam::123456789012:role/processor",
        kinesis: {
            kinesisSchemaVersion: "1.0",
            partitionKey: "AAPL",
            sequenceNumber: seq,
            data: Buffer.from(data).toString("base64"),
            approximateArrivalTimestamp: ARRIVAL,
        },
    };
}

/** An event of records numbered from `first`, in order. */
export function kinesisEvent(payloads: (string | Uint8Array)[], first = 1): KinesisStreamEvent {
    return { Records: payloads.map((data, i) => kinesisRecord(data, first + i)) };
}

export const tick = (symbol: string, price: string, timestamp: string) =>
    `{"symbol":"${symbol}","price":${price},"timestamp":"${timestamp}"}`;

/** A KPL aggregate of ticks (or any payloads), each user record keyed by its symbol when it has one. */
export function aggregateOf(payloads: string[]): Buffer {
    return aggregateRecords(
        payloads.map(data => ({ partitionKey: /"symbol":"([^"]*)"/.exec(data)?.[1] || "none", data })),
    );
}

/** `count` distinct valid ticks of one day, numbered from `from`. */
export function ticksOfOneDay(count: number, from = 0): string[] {
    return Array.from({ length: count }, (_, i) => {
        const n = from + i;
        return tick(
            `S${n % 7}`,
            `${n}.25`,
            `2026-11-28T10:${String(Math.floor(n / 60) % 60).padStart(2, "0")}:${String(n % 60).padStart(2, "0")}`,
        );
    });
}

/**
 * What the event source mapping sends again after an invocation reported `reported`: the records
 * from the lowest reported one on (by the harness's checkpoint rule, sequence numbers compared as
 * numbers), or none when nothing was reported.
 */
export function redelivery(records: KinesisStreamRecord[], reported: string[]): KinesisStreamRecord[] {
    const batch = records.map(record => ({
        sequenceNumber: record.kinesis.sequenceNumber,
        approximateArrivalTimestamp: record.kinesis.approximateArrivalTimestamp * 1000,
    }));
    const from = lowestFailure(batch, {
        response: { batchItemFailures: reported.map(itemIdentifier => ({ itemIdentifier })) },
    });
    return from === null
        ? []
        : records.filter(record => compareSequenceNumbers(record.kinesis.sequenceNumber, from) >= 0);
}
