/**
 * One shard's share of the event source mapping: reads batches with GetRecords, invokes the
 * function with the event Lambda would build, and moves the shard's checkpoint by the rule in
 * checkpoint.ts (partial batch responses, bisection on a function error, bounded retries, the
 * failure destination).
 *
 * A batch read from the shard is worked on until every record of it is done or given up: a retry
 * resends the records from the lowest failure, a bisection sends the first half and then the
 * second, and only then does the shard move past the batch. Retries are counted per part of the
 * batch, from the first failure on: a retry that gets further but still fails counts too, and the
 * halves of a bisected part inherit its count, so no record is invoked more than
 * maximumRetryAttempts + 1 times.
 */
import { randomUUID } from "crypto";
import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, _Record } from "@aws-sdk/client-kinesis";
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from "aws-lambda";
import { BatchRecord, Checkpoint, InvocationOutcome, nextCheckpoint, RetryLimits } from "./checkpoint";
import { cutIntoEvents } from "../lambda/limits";
import { toEventRecord } from "./event-record";

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
    /**
     * Every invocation, for counting: error set for a function error; retry is 0 for a batch's
     * first invocation, n for the n-th retry of its records.
     */
    invoked(records: number, error: Error | undefined, retry: number): void;
    /** A function error split a part of a batch in two (BisectBatchOnFunctionError). */
    bisected?(records: number): void;
    /** Kinesis errors the poller recovered from. */
    warn(message: string): void;
}

export interface StreamCoordinates {
    streamName: string;
    streamArn: string;
    shardId: string;
    region: string;
    functionArn: string;
    /** The mapping's role as Lambda names it in each record (the function's execution role). */
    invokeIdentityArn?: string;
}

/** Kinesis expires a shard iterator five minutes after GetShardIterator or GetRecords returned it. */
const ITERATOR_LIFETIME_MS = 300_000;

/** A part of a batch still to be invoked, as the event's records, and how many times they have been retried. */
interface Part {
    records: KinesisStreamRecord[];
    attempt: number;
}

type Position =
    | { ShardIteratorType: "LATEST" | "TRIM_HORIZON" }
    | { ShardIteratorType: "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER"; StartingSequenceNumber: string };

export class ShardPoller {
    private iterator: string | undefined;
    /** Where to get a new iterator from if the current one is lost (expired, or after an error). */
    private position: Position;
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
        const started = Date.now();
        if (!(await this.processBatch(records))) return;
        // An iterator lives five minutes: after long retries, take a new one from the checkpoint.
        const fresh = Date.now() - started < ITERATOR_LIFETIME_MS - 30_000;
        this.movePast(records, page.NextShardIterator, fresh);
    }

    /**
     * Works on one batch until each record is done or given up; false when stop() cut it short
     * (the shard then stays before the batch, as a mapping that is disabled mid-batch).
     */
    private async processBatch(records: _Record[]): Promise<boolean> {
        const events = cutIntoEvents(records.map(record => toEventRecord(record, this.where)));
        const parts: Part[] = events.map(batch => ({ records: batch, attempt: 0 }));
        while (parts.length > 0) {
            if (this.stopping) return false;
            parts.unshift(...(await this.processPart(parts.shift()!)));
        }
        return true;
    }

    /** Invokes the function with one part of a batch; returns what is left to invoke, in stream order. */
    private async processPart(part: Part): Promise<Part[]> {
        const { records, attempt } = part;
        const outcome = await this.invoke({ Records: records }, attempt);
        const batch = records.map(toBatchRecord);
        const checkpoint = nextCheckpoint(batch, outcome, attempt, this.settings);
        this.hooks.acknowledged(
            batch.slice(0, doneBefore(batch, checkpoint)).map(record => record.sequenceNumber),
            Date.now(),
        );
        switch (checkpoint.action) {
            case "advance":
                return [];
            case "give-up":
                this.hooks.gaveUp(
                    this.destinationMessage(checkpoint, outcome, attempt),
                    checkpoint.discarded.map(record => record.sequenceNumber),
                );
                return [];
            case "retry-from":
                await this.pause(retryDelayMs(checkpoint.attempt));
                return [{ records: records.slice(doneBefore(batch, checkpoint)), attempt: checkpoint.attempt }];
            case "bisect": {
                this.hooks.bisected?.(records.length);
                await this.pause(retryDelayMs(checkpoint.attempt));
                const middle = checkpoint.halves[0].length;
                return [
                    { records: records.slice(0, middle), attempt: checkpoint.attempt },
                    { records: records.slice(middle), attempt: checkpoint.attempt },
                ];
            }
        }
    }

    private async invoke(event: KinesisStreamEvent, retry: number): Promise<InvocationOutcome> {
        try {
            const response = await this.hooks.invoke(event);
            this.hooks.invoked(event.Records.length, undefined, retry);
            return { response };
        } catch (error) {
            this.hooks.invoked(event.Records.length, error as Error, retry);
            return { error: error as Error };
        }
    }

    /** Continues with GetRecords' next iterator; there is none once a closed (resharded) shard is read to its end. */
    private moveTo(next: string | undefined): void {
        this.iterator = next;
        if (!next) this.stopping = true;
    }

    /** The whole batch is done or given up: the checkpoint moves past its last record. */
    private movePast(records: _Record[], next: string | undefined, fresh: boolean): void {
        this.position = {
            ShardIteratorType: "AFTER_SEQUENCE_NUMBER",
            StartingSequenceNumber: records[records.length - 1].SequenceNumber!,
        };
        if (fresh) this.moveTo(next);
        else this.iterator = undefined;
    }

    private destinationMessage(
        checkpoint: Extract<Checkpoint, { action: "give-up" }>,
        outcome: InvocationOutcome,
        attempt: number,
    ): FailureDestinationMessage {
        const records = checkpoint.discarded;
        const iso = (ms: number) => new Date(ms).toISOString();
        return {
            requestContext: {
                requestId: randomUUID(),
                functionArn: this.where.functionArn,
                condition: checkpoint.condition,
                approximateInvokeCount: attempt + 1,
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

function toBatchRecord(record: KinesisStreamRecord): BatchRecord {
    return {
        sequenceNumber: record.kinesis.sequenceNumber,
        approximateArrivalTimestamp: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
    };
}

/** How many records at the start of the part the decision leaves done. */
function doneBefore(batch: BatchRecord[], checkpoint: Checkpoint): number {
    switch (checkpoint.action) {
        case "advance":
            return batch.length;
        case "bisect":
            return 0;
        default:
            return batch.findIndex(record => record.sequenceNumber === checkpoint.sequenceNumber);
    }
}

/** Lambda waits a little before a retry: 100 ms, doubling, at most a second. */
function retryDelayMs(attempt: number): number {
    return Math.min(1000, 50 * 2 ** attempt);
}
