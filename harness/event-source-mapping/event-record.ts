/**
 * A Kinesis record as Lambda hands it to the function, made from the record as GetRecords returns
 * it: what the pollers invoke with, what a replay rebuilds, and what the bill's sample batches are.
 * Apart from the poller, so that using it loads no Kinesis client.
 */
import type { _Record } from "@aws-sdk/client-kinesis";
import type { KinesisStreamRecord } from "aws-lambda";
import type { StreamCoordinates } from "./poller";

/** What Lambda writes into each record of the event: where it was read, and the mapping's role. */
export type RecordSource = Pick<StreamCoordinates, "streamArn" | "shardId" | "region" | "invokeIdentityArn">;

/** A Kinesis record as Lambda hands it to the function. */
export function toEventRecord(record: _Record, where: RecordSource): KinesisStreamRecord {
    return {
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventID: `${where.shardId}:${record.SequenceNumber}`,
        eventName: "aws:kinesis:record",
        invokeIdentityArn: where.invokeIdentityArn ?? "arn:aws:iam::000000000000:role/processor-local",
        awsRegion: where.region,
        eventSourceARN: where.streamArn,
        kinesis: {
            kinesisSchemaVersion: "1.0",
            partitionKey: record.PartitionKey!,
            sequenceNumber: record.SequenceNumber!,
            data: Buffer.from(record.Data ?? new Uint8Array()).toString("base64"),
            approximateArrivalTimestamp: record.ApproximateArrivalTimestamp!.getTime() / 1000,
        },
    };
}
