/**
 * The event source mapping as the simulation plays it: within what AWS documents for Kinesis
 * (shared/notes/event-source-mapping.md), every freedom the documentation leaves is a choice.
 *
 * - Batches: 1 to batchSize records from the checkpoint (fewer than batchSize while more wait
 *   is allowed). All records of a batch come from one shard.
 * - parallelizationFactor: each partition key goes to one of the shard's lanes (which one is a
 *   choice: AWS does not say); a lane is processed in order, one batch at a time, with its own
 *   checkpoint; lanes run concurrently. Records of one key are therefore in order.
 * - A partial batch response: records before the lowest reported one are checkpointed; the retry
 *   reads again from it, with the same, fewer or more records (AWS re-reads the shard and does
 *   not say how many it gets).
 * - A function error (thrown, crashed, timed out): with BisectBatchOnFunctionError the batch is
 *   split in two (at half, rounded up or down) and each half retried in turn; splitting spends no
 *   retry ("Splitting batches doesn't consume the retry quota"). Without it, or for one record,
 *   the batch is read again as for a partial response.
 * - After maximumRetryAttempts retries, or once the first record to retry is older than
 *   maximumRecordAgeInSeconds, the records from the lowest failure to the end of the batch go to
 *   the failure destination and the lane moves past them. Records already too old when read
 *   are discarded to the destination without an invocation.
 * - A lost checkpoint (at-least-once delivery: "duplicate processing of records can occur"):
 *   between batches a lane's checkpoint may move back, and an earlier range is delivered again.
 * - Between attempts the mapping waits up to a second (AWS does not say how long).
 */
import type { KinesisStreamBatchResponse } from "aws-lambda";
import { failureIndex } from "../event-source-mapping/checkpoint";
import { replayEvents } from "../replay/replay-ranges";
import type { Choices } from "./choices";
import type { StreamRecord } from "./stream";
import type { World } from "./world";

export interface MappingSettings {
    batchSize: number;
    parallelizationFactor: number;
    bisectBatchOnFunctionError: boolean;
    maximumRetryAttempts: number;
    maximumRecordAgeInSeconds: number;
    /** Chance, between two batches, that a lane's checkpoint is lost and moves back. */
    lostCheckpointRate: number;
}

export type Outcome = { response: KinesisStreamBatchResponse } | { error: Error };

/** Invokes the processor with records (one event), as the mapping or a replay does. */
export type Invoke = (kind: "mapping" | "replay", records: StreamRecord[], label: string) => Promise<Outcome>;

/** The failure destination's message: a range of a shard, as KinesisBatchInfo gives it. */
export interface DestinationMessage {
    shard: number;
    /** Positions in the shard of startSequenceNumber and endSequenceNumber. */
    first: number;
    last: number;
    /** How many records the lane gave up (KinesisBatchInfo.batchSize): fewer than first..last with other lanes' between. */
    batchSize: number;
    condition: "RetryAttemptsExhausted" | "RecordAgeExceeded";
}

/** A part of a batch still to invoke: records [from, to) of the lane, retried `attempt` times. */
interface Part {
    from: number;
    to: number;
    attempt: number;
}

const MAX_LOST_CHECKPOINTS = 2;
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

const names = (records: StreamRecord[]) =>
    records.length === 1
        ? `s${records[0].shard}#${records[0].index}`
        : `s${records[0].shard}#${records[0].index}..${records[records.length - 1].index}`;

/** One lane of one shard: its records in order, its checkpoint, and the batch in progress. */
export class Lane {
    private checkpoint = 0;
    private parts: Part[] = [];
    private lostCheckpoints = 0;

    constructor(
        readonly name: string,
        private readonly records: StreamRecord[],
        private readonly settings: MappingSettings,
        private readonly choices: Choices,
        private readonly world: World,
        private readonly destination: DestinationMessage[],
        private readonly invoke: Invoke,
    ) {}

    get done(): boolean {
        return this.parts.length === 0 && this.checkpoint >= this.records.length;
    }

    /** One step: read a batch if none is in progress, then one invocation and what follows it. */
    async step(): Promise<void> {
        if (this.parts.length === 0 && !this.read()) return;
        const part = this.parts[0];
        const batch = this.records.slice(part.from, part.to);
        const label = `${this.name} ${part.attempt > 0 ? `retry ${part.attempt}` : "batch"}`;
        const outcome = await this.invoke("mapping", batch, label);
        const failed = failureIndex(batch, outcome);
        if (failed === null) {
            this.acknowledge(part.from, part.to, []);
            this.parts.shift();
            return;
        }
        const from = part.from + failed;
        this.acknowledge(part.from, from, this.records.slice(from, part.to));
        const expired = this.expired(from);
        if (expired || part.attempt >= this.settings.maximumRetryAttempts) {
            this.giveUp(from, part.to, expired ? "RecordAgeExceeded" : "RetryAttemptsExhausted");
            this.parts.shift();
            return;
        }
        const size = part.to - from;
        if ("error" in outcome && this.settings.bisectBatchOnFunctionError && size > 1) {
            const half = this.choices.pick([Math.ceil(size / 2), Math.floor(size / 2)]);
            this.world.stats.bisections++;
            this.world.trace(() => `${this.name}: bisect ${size} records into ${half} + ${size - half}`);
            this.parts.splice(
                0,
                1,
                { from, to: from + half, attempt: part.attempt },
                { from: from + half, to: part.to, attempt: part.attempt },
            );
        } else {
            this.parts[0] = { from, to: this.retryEnd(from, part.to), attempt: part.attempt + 1 };
        }
        await sleep(this.choices.int(1000));
    }

    /** Reads the next batch from the checkpoint (which may first be lost); false if it was discarded as too old. */
    private read(): boolean {
        if (
            this.checkpoint > 0 &&
            this.lostCheckpoints < MAX_LOST_CHECKPOINTS &&
            this.choices.flip(this.settings.lostCheckpointRate)
        ) {
            const back = this.choices.int(this.checkpoint);
            this.lostCheckpoints++;
            this.world.stats.lostCheckpoints++;
            this.world.trace(
                () =>
                    `${this.name}: checkpoint lost, back from ${this.position(this.checkpoint)} to ${this.position(back)}`,
            );
            this.checkpoint = back;
        }
        const left = this.records.length - this.checkpoint;
        const size = this.choices.between(1, Math.min(this.settings.batchSize, left));
        let end = this.checkpoint;
        while (end < this.checkpoint + size && this.expired(end)) end++;
        if (end > this.checkpoint) {
            this.giveUp(this.checkpoint, end, "RecordAgeExceeded");
            return false;
        }
        this.parts = [{ from: this.checkpoint, to: this.checkpoint + size, attempt: 0 }];
        return true;
    }

    /** A retry re-reads the shard from the lowest failure: the same records, fewer or more. */
    private retryEnd(from: number, to: number): number {
        const lastPart = this.parts.length === 1;
        const composition = lastPart
            ? this.choices.weighted([
                  ["same", 3],
                  ["fewer", 1],
                  ["more", 1],
              ] as const)
            : "same";
        this.world.stats.retries[composition]++;
        if (composition === "fewer" && to - from > 1) return from + this.choices.between(1, to - from - 1);
        if (composition === "more") {
            const size = this.choices.between(to - from, this.settings.batchSize);
            return Math.min(this.records.length, from + size);
        }
        return to;
    }

    private expired(position: number): boolean {
        if (this.settings.maximumRecordAgeInSeconds < 0) return false; // -1: records never expire
        const ageMs = Date.now() - this.records[position].event.kinesis.approximateArrivalTimestamp * 1000;
        return ageMs > this.settings.maximumRecordAgeInSeconds * 1000;
    }

    private position(position: number): string {
        const record = this.records[position];
        return record ? `s${record.shard}#${record.index}` : "the end";
    }

    /** Records [from, to) are checkpointed past: each must be stored; `pending` are the batch's others. */
    private acknowledge(from: number, to: number, pending: StreamRecord[]): void {
        if (to <= from) return;
        const records = this.records.slice(from, to);
        this.checkpoint = Math.max(this.checkpoint, to);
        this.world.trace(() => `${this.name}: checkpoint past ${names(records)}`);
        this.world.acknowledged(
            records.flatMap(record => record.expected),
            `${this.name}, checkpoint`,
            new Set(pending.flatMap(record => record.expected)),
        );
    }

    private giveUp(from: number, to: number, condition: DestinationMessage["condition"]): void {
        const records = this.records.slice(from, to);
        this.checkpoint = Math.max(this.checkpoint, to);
        this.world.stats.givenUp[condition]++;
        this.world.trace(() => `${this.name}: ${names(records)} to the failure destination (${condition})`);
        this.destination.push({
            shard: records[0].shard,
            first: records[0].index,
            last: records[records.length - 1].index,
            batchSize: records.length,
            condition,
        });
    }
}

/**
 * `npm run replay` at some moment: a message's range read back from the shard (every record
 * between its start and end, whatever their lane), invoked in the events `npm run replay` makes of
 * it (replayEvents), the records still failing of each retried from the lowest one up to
 * `attempts` times; the message is removed only once all of it is stored.
 */
export async function replayMessage(
    message: DestinationMessage,
    destination: DestinationMessage[],
    shards: StreamRecord[][],
    world: World,
    invoke: Invoke,
    attempts = 3,
): Promise<void> {
    const range = shards[message.shard].slice(message.first, message.last + 1);
    world.stats.replays++;
    let stillFailing = 0;
    for (const records of replayEvents(range, message.batchSize)) {
        let pending = records;
        for (let attempt = 1; pending.length > 0 && attempt <= attempts; attempt++) {
            if (attempt > 1) await sleep(200 * 2 ** (attempt - 2));
            const outcome = await invoke("replay", pending, `replay ${names(range)}`);
            const failed = failureIndex(pending, outcome);
            pending = failed === null ? [] : pending.slice(failed);
        }
        stillFailing += pending.length;
    }
    if (stillFailing > 0) {
        world.trace(() => `replay ${names(range)}: ${stillFailing} still failing, the message stays`);
        return;
    }
    const index = destination.indexOf(message);
    if (index >= 0) destination.splice(index, 1);
    world.trace(() => `replay ${names(range)}: stored, message removed`);
    world.acknowledged(
        range.flatMap(record => record.expected),
        "replayed",
    );
}
