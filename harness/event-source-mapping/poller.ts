/**
 * One shard's share of the event source mapping: reads batches with GetRecords, invokes the
 * function with the event Lambda would build, and moves the shard's checkpoint by the rule in
 * checkpoint.ts (partial batch responses, bounded retries, the failure destination).
 *
 * Retries are counted per batch, from the first failure until the shard moves past it: a retry
 * that gets further but still fails counts too, so a shard is never held more than
 * maximumRetryAttempts + 1 invocations by one batch.
 */
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, _Record } from "@aws-sdk/client-kinesis";
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { Checkpoint, InvocationOutcome, nextCheckpoint, RetryLimits } from "./checkpoint";

export interface PollerSettings extends RetryLimits {
    batchSize: number;
    startingPosition: "LATEST" | "TRIM_HORIZON";
    /** Wait between GetRecords calls that returned nothing: Lambda polls an idle shard once a second. */
    idlePollMs: number;
}

/** The on-failure destination's message, as Lambda sends it to SQS for a Kinesis batch. */
export interface FailureDestinationMessage {
    requestContext: { requestId: string; functionArn: string; condition: string; approximateInvokeCount: number };
    /** functionError only when the function failed (threw, timed out, crashed). */
    responseContext: { statusCode: number; executedVersion: string; functionError?: string };
    version: "1.0";
    timestamp: string;
    KinesisBatchInfo: {
        shardId: string;
        startSequenceNumber: string;
        endSequenceNumber: string;
        approximateArrivalOfFirstRecord: string;
        approximateArrivalOfLastRecord: string;
        batchSize: number;
        streamArn: string;
    };
}

export interface PollerHooks {
    invoke(event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse>;
    /** Records the mapping checkpointed past, with the time the response came back. */
    acknowledged(sequenceNumbers: string[], at: number): void;
    gaveUp(message: FailureDestinationMessage, sequenceNumbers: string[]): void;
    /** Every invocation, for counting (error set for a function error). */
    invoked(records: number, error?: Error): void;
    /** Kinesis errors the poller recovered from. */
    warn(message: string): void;
}

export interface StreamCoordinates {
    streamName: string;
    streamArn: string;
    shardId: string;
    region: string;
    functionArn: string;
}

type Position =
    | { ShardIteratorType: "LATEST" | "TRIM_HORIZON" }
    | { ShardIteratorType: "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER"; StartingSequenceNumber: string };

/** A Kinesis record as Lambda hands it to the function. */
export function toEventRecord(record: _Record, where: StreamCoordinates): KinesisStreamRecord {
    return {
        eventSource: "aws:kinesis",
        eventVersion: "1.0",
        eventID: `${where.shardId}:${record.SequenceNumber}`,
        eventName: "aws:kinesis:record",
        invokeIdentityArn: "arn:aws:iam::000000000000:role/processor-local",
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

export class ShardPoller {
    private iterator: string | undefined;
    /** Where to get a new iterator from if the current one is lost (expired, or after an error). */
    private position: Position;
    private attempt = 0;
    private stopping = false;
    private wake: () => void = () => undefined;
    private loop: Promise<void> | undefined;
    /** Age of the last record of the latest batch when it was read: Lambda's IteratorAge metric. */
    iteratorAgeMs = 0;

    constructor(
        private readonly kinesis: KinesisClient,
        private readonly where: StreamCoordinates,
        private readonly settings: PollerSettings,
        private readonly hooks: PollerHooks,
    ) {
        this.position = { ShardIteratorType: settings.startingPosition };
    }

    /** Takes the starting iterator now, so that with LATEST nothing put after this call is missed. */
    async start(): Promise<void> {
        this.iterator = await this.getIterator(this.position);
        this.loop = this.run();
    }

    /** Lets the invocation in progress finish, then stops. */
    async stop(): Promise<void> {
        this.stopping = true;
        this.wake();
        await this.loop;
    }

    private async run(): Promise<void> {
        while (!this.stopping) {
            try {
                await this.pollOnce();
            } catch (error) {
                if (this.stopping) break;
                this.hooks.warn(`${this.where.shardId}: ${(error as Error).name}: ${(error as Error).message}`);
                await this.pause(1000);
                this.iterator = await this.getIterator(this.position).catch(() => undefined);
            }
        }
    }

    private async pollOnce(): Promise<void> {
        this.iterator ??= await this.getIterator(this.position);
        const page = await this.kinesis.send(
            new GetRecordsCommand({ ShardIterator: this.iterator, Limit: this.settings.batchSize }),
        );
        const records = page.Records ?? [];
        if (records.length === 0) {
            this.iteratorAgeMs = 0;
            this.moveTo(page.NextShardIterator);
            await this.pause(this.settings.idlePollMs);
            return;
        }
        this.iteratorAgeMs = Date.now() - records[records.length - 1].ApproximateArrivalTimestamp!.getTime();
        const checkpoint = await this.process(records);
        await this.follow(checkpoint, page.NextShardIterator);
    }

    /** Invokes the function with one batch and reports which records are done or given up. */
    private async process(records: _Record[]): Promise<Checkpoint> {
        const event = { Records: records.map(record => toEventRecord(record, this.where)) };
        const outcome = await this.invoke(event);
        const batch = records.map(record => ({
            sequenceNumber: record.SequenceNumber!,
            approximateArrivalTimestamp: record.ApproximateArrivalTimestamp!.getTime(),
        }));
        const checkpoint = nextCheckpoint(batch, outcome, this.attempt, this.settings);
        const doneBefore =
            checkpoint.action === "advance"
                ? batch.length
                : batch.findIndex(record => record.sequenceNumber === checkpoint.sequenceNumber);
        this.hooks.acknowledged(
            batch.slice(0, doneBefore).map(record => record.sequenceNumber),
            Date.now(),
        );
        if (checkpoint.action === "give-up")
            this.hooks.gaveUp(
                this.destinationMessage(checkpoint, outcome),
                checkpoint.discarded.map(record => record.sequenceNumber),
            );
        return checkpoint;
    }

    private async invoke(event: KinesisStreamEvent): Promise<InvocationOutcome> {
        try {
            const response = await this.hooks.invoke(event);
            this.hooks.invoked(event.Records.length);
            return { response };
        } catch (error) {
            this.hooks.invoked(event.Records.length, error as Error);
            return { error: error as Error };
        }
    }

    /** Continues with GetRecords' next iterator; there is none once a closed (resharded) shard is read to its end. */
    private moveTo(next: string | undefined): void {
        this.iterator = next;
        if (!next) this.stopping = true;
    }

    /** Moves the shard's position as decided; `next` is GetRecords' iterator past the batch. */
    private async follow(checkpoint: Checkpoint, next: string | undefined): Promise<void> {
        switch (checkpoint.action) {
            case "advance":
                this.attempt = 0;
                this.position = {
                    ShardIteratorType: "AFTER_SEQUENCE_NUMBER",
                    StartingSequenceNumber: checkpoint.sequenceNumber,
                };
                this.moveTo(next);
                return;
            case "retry-from":
                this.attempt = checkpoint.attempt;
                this.position = {
                    ShardIteratorType: "AT_SEQUENCE_NUMBER",
                    StartingSequenceNumber: checkpoint.sequenceNumber,
                };
                this.iterator = undefined;
                await this.pause(Math.min(1000, 50 * 2 ** checkpoint.attempt));
                return;
            case "give-up":
                this.attempt = 0;
                this.position = {
                    ShardIteratorType: "AFTER_SEQUENCE_NUMBER",
                    StartingSequenceNumber: checkpoint.lastSequenceNumber,
                };
                this.iterator = undefined;
                return;
        }
    }

    private destinationMessage(
        checkpoint: Extract<Checkpoint, { action: "give-up" }>,
        outcome: InvocationOutcome,
    ): FailureDestinationMessage {
        const records = checkpoint.discarded;
        const iso = (ms: number) => new Date(ms).toISOString();
        return {
            requestContext: {
                requestId: `local-${Date.now()}`,
                functionArn: this.where.functionArn,
                condition: checkpoint.condition,
                approximateInvokeCount: this.attempt + 1,
            },
            responseContext: {
                statusCode: 200,
                executedVersion: "$LATEST",
                ...("error" in outcome ? { functionError: "Unhandled" } : {}),
            },
            version: "1.0",
            timestamp: new Date().toISOString(),
            KinesisBatchInfo: {
                shardId: this.where.shardId,
                startSequenceNumber: records[0].sequenceNumber,
                endSequenceNumber: records[records.length - 1].sequenceNumber,
                approximateArrivalOfFirstRecord: iso(records[0].approximateArrivalTimestamp),
                approximateArrivalOfLastRecord: iso(records[records.length - 1].approximateArrivalTimestamp),
                batchSize: records.length,
                streamArn: this.where.streamArn,
            },
        };
    }

    private getIterator(position: Position): Promise<string> {
        return this.kinesis
            .send(
                new GetShardIteratorCommand({
                    StreamName: this.where.streamName,
                    ShardId: this.where.shardId,
                    ...position,
                }),
            )
            .then(({ ShardIterator }) => ShardIterator!);
    }

    /** A sleep that stop() cuts short. */
    private pause(ms: number): Promise<void> {
        if (this.stopping) return Promise.resolve();
        return new Promise(resolve => {
            const timer = setTimeout(resolve, ms);
            this.wake = () => {
                clearTimeout(timer);
                resolve();
            };
        });
    }
}
