/**
 * Replays the failure destination's messages: for each, the range read back from the stream, an
 * event built from the records with their original sequence numbers and arrival times (so every
 * write lands on the same keys as the first time: idempotent), the processor invoked with it, the
 * records still failing retried from the lowest one as the mapping would, and the message removed
 * only once its whole range is stored.
 */
import { setTimeout as sleep } from "timers/promises";
import type { _Record } from "@aws-sdk/client-kinesis";
import type { KinesisStreamRecord } from "aws-lambda";
import { failureIndex } from "../event-source-mapping/checkpoint";
import { toEventRecord } from "../event-source-mapping/event-record";
import { planRecord } from "../../pipeline/runtime/batch";
import type { Invoke } from "./invoke";
import { cutIntoEvents } from "../lambda/limits";
import { BatchRange, describeRange, parseStreamArn } from "./messages";
import type { MessageSource, PendingMessage } from "./sources";
import type { GoneRecords, RangeRead } from "./stream";

export interface ReplayOptions {
    source: MessageSource;
    /** Reads a range back from its stream. */
    read(range: BatchRange): Promise<RangeRead>;
    /** Invokes the processor; not called with `dryRun`. */
    invoke?: Invoke;
    dryRun?: boolean;
    /** Invocations of a range's records before those still failing are left for a later replay (default 3). */
    attempts?: number;
    /** What a stored message becomes, for the report: "deleted from the queue", "marked replayed". */
    doneVerb: string;
    log(line: string): void;
}

export interface ReplayTotals {
    /** Messages replayed (or, in a dry run, that would be). */
    batches: number;
    /** Records read back from the stream and sent to the processor. */
    records: number;
    stored: number;
    rejected: number;
    stillFailing: number;
    gone: number;
    /** Messages removed from the source: their whole range is stored. */
    done: number;
    /** Messages that are not Kinesis on-failure records (left where they are). */
    unreadable: number;
    /** Messages an earlier replay stored already (skipped). */
    alreadyReplayed: number;
}

interface MessageResult {
    records: number;
    stored: number;
    rejected: number;
    stillFailing: number;
    /** The first record still failing and why, when some are. */
    failing?: { from: string; reason: string };
    gone?: GoneRecords;
}

/** The records as Lambda hands them to the function: original sequence numbers, arrival times and stream. */
export function eventRecords(range: BatchRange, records: _Record[]): KinesisStreamRecord[] {
    const { region, account } = parseStreamArn(range.streamArn);
    const where = {
        streamArn: range.streamArn,
        shardId: range.shardId,
        region,
        invokeIdentityArn: `arn:aws:iam::${account}:role/npm-run-replay`,
    };
    return records.map(record => toEventRecord(record, where));
}

function describeFailure(outcome: Awaited<ReturnType<Invoke>>, failing: number): string {
    if ("error" in outcome) return `function error ${outcome.error.name}: ${outcome.error.message}`;
    return `the function reported ${failing === 1 ? "it" : `${failing} records from it`} failed`;
}

/**
 * The events a range read back is invoked in. A range the mapping gave up holds `batchSize`
 * records, contiguous in their lane; read back from the shard it holds more when the mapping ran
 * with parallelizationFactor above 1: the other lanes' records between its first and last come
 * back too. An event of them all shares its first and last record with the mapping's batch but not
 * its records, so in the batch layout (objects keyed `<first>-<last>`) a later redelivery of that
 * batch would overwrite the replay's objects without the other lanes' lines. Such a range, or one
 * read back short, is invoked a record per event instead: the object of `<r>-<r>` holds r alone,
 * whoever writes it.
 */
export function replayEvents<T>(records: T[], batchSize: number): T[][] {
    if (records.length === batchSize) return [records];
    return records.map(record => [record]);
}

/** Sends one event's records, retrying from the lowest failure as the mapping would. */
async function replayChunk(
    chunk: KinesisStreamRecord[],
    invoke: Invoke,
    attempts: number,
    result: MessageResult,
): Promise<void> {
    let pending = chunk;
    let reason = "";
    for (let attempt = 1; pending.length > 0 && attempt <= attempts; attempt++) {
        if (attempt > 1) await sleep(200 * 2 ** (attempt - 2));
        const outcome = await invoke({ Records: pending });
        const failed = failureIndex(
            pending.map(record => record.kinesis),
            outcome,
        );
        const doneCount = failed ?? pending.length;
        // A KPL aggregate holds several ticks: each is stored or rejected on its own.
        for (const plan of pending.slice(0, doneCount).flatMap(planRecord)) {
            if (plan.tick) result.stored++;
            else result.rejected++;
        }
        pending = pending.slice(doneCount);
        if (pending.length > 0) reason = describeFailure(outcome, pending.length);
    }
    if (pending.length > 0) {
        result.stillFailing += pending.length;
        result.failing ??= { from: pending[0].kinesis.sequenceNumber, reason };
    }
}

async function replayMessage(message: PendingMessage, options: ReplayOptions): Promise<MessageResult> {
    const read = await options.read(message.range);
    const result: MessageResult = {
        records: read.records.length,
        stored: 0,
        rejected: 0,
        stillFailing: 0,
        gone: read.gone,
    };
    if (options.dryRun || read.records.length === 0) return result;
    for (const records of replayEvents(eventRecords(message.range, read.records), message.range.batchSize))
        for (const chunk of cutIntoEvents(records))
            await replayChunk(chunk, options.invoke!, options.attempts ?? 3, result);
    return result;
}

function describeResult(message: PendingMessage, result: MessageResult, options: ReplayOptions, done: boolean): string {
    const parts = options.dryRun
        ? [`would replay ${result.records} records`]
        : [`stored ${result.stored}`, `rejected ${result.rejected}`];
    if (result.failing)
        parts.push(`still failing ${result.stillFailing} from ${result.failing.from} (${result.failing.reason})`);
    if (result.gone) {
        const where = result.gone.to ? `${result.gone.from} to ${result.gone.to}` : `from ${result.gone.from}`;
        parts.push(`gone ${result.gone.count}: ${where}, ${result.gone.why}`);
    }
    const fate = options.dryRun ? "" : done ? `; ${options.doneVerb}` : "; kept for a later replay";
    return `${message.label}: ${describeRange(message.range)}: ${parts.join(", ")}${fate}`;
}

export async function replay(options: ReplayOptions): Promise<ReplayTotals> {
    const totals: ReplayTotals = {
        batches: 0,
        records: 0,
        stored: 0,
        rejected: 0,
        stillFailing: 0,
        gone: 0,
        done: 0,
        unreadable: 0,
        alreadyReplayed: 0,
    };
    try {
        for await (const message of options.source.messages()) {
            if ("error" in message) {
                totals.unreadable++;
                options.log(`${message.label}: skipped, ${message.error}; left in place`);
                continue;
            }
            const result = await replayMessage(message, options);
            const complete = !options.dryRun && result.stillFailing === 0 && !result.gone;
            if (complete) {
                await options.source.done(message, { stored: result.stored, rejected: result.rejected });
                totals.done++;
            }
            totals.batches++;
            totals.records += result.records;
            totals.stored += result.stored;
            totals.rejected += result.rejected;
            totals.stillFailing += result.stillFailing;
            totals.gone += result.gone?.count ?? 0;
            options.log(describeResult(message, result, options, complete));
        }
    } finally {
        await options.source.finish();
    }
    totals.alreadyReplayed = options.source.alreadyReplayed;
    return totals;
}

/** The last line: `replayed N batches, M records: stored S, rejected R, still failing F, gone G`. */
export function formatTotals(totals: ReplayTotals, dryRun = false): string {
    const { batches, records, stored, rejected, stillFailing, gone } = totals;
    if (dryRun) return `would replay ${batches} batches, ${records} records (gone ${gone})`;
    return `replayed ${batches} batches, ${records} records: stored ${stored}, rejected ${rejected}, still failing ${stillFailing}, gone ${gone}`;
}

/** Exit 0 only when nothing is left failing, gone or unreadable. */
export function replayExitCode(totals: ReplayTotals): number {
    return totals.stillFailing === 0 && totals.gone === 0 && totals.unreadable === 0 ? 0 : 1;
}
