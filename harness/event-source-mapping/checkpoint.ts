/**
 * The event source mapping's decision after one invocation on a shard, as a pure function: where
 * the shard's checkpoint goes, whether the records are retried, and when they are given up to the
 * on-failure destination. It follows Lambda's documented rules for Kinesis with
 * `ReportBatchItemFailures`:
 *
 * - an empty or missing `batchItemFailures` (or no response at all) is a complete success;
 * - otherwise the batch is retried from the lowest listed sequence number, the records before it
 *   being done;
 * - a function error, or an `itemIdentifier` that is empty, missing or not in the batch, fails the
 *   whole batch;
 * - with `BisectBatchOnFunctionError` (the stack sets it), a function error (thrown, timed out,
 *   crashed) splits a batch of two or more records in two, and each half is retried on its own,
 *   the first half first. Splitting spends no retry ("Splitting batches doesn't consume the retry
 *   quota"): the halves keep the batch's retry count, so a poison record is isolated in
 *   log2(batchSize) invocations, then retried alone until the bound. With no retry left (as with
 *   maximumRetryAttempts 0) the batch is given up without splitting, as the simulation plays it;
 * - after `maximumRetryAttempts` retries, or once the records to retry are older than
 *   `maximumRecordAgeInSeconds`, the records from the checkpoint on go to the destination and the
 *   shard moves past the batch.
 */
import type { KinesisStreamBatchResponse } from "aws-lambda";
import { compareSequenceNumbers } from "../../pipeline/runtime/batch";

/** What the decision needs to know of each record of the batch, in stream order. */
export interface BatchRecord {
    sequenceNumber: string;
    /** Epoch milliseconds. */
    approximateArrivalTimestamp: number;
}

/** How the invocation ended: a response, or a function error (thrown, timed out, crashed). */
export type InvocationOutcome = { response: KinesisStreamBatchResponse | null | undefined } | { error: Error };

export interface RetryLimits {
    maximumRetryAttempts: number;
    /** -1: records never expire (only the stream's retention applies). */
    maximumRecordAgeInSeconds: number;
    /** Split a batch in two on a function error (BisectBatchOnFunctionError); off unless set. */
    bisectBatchOnFunctionError?: boolean;
}

/** Why records went to the destination, in the words of Lambda's invocation record. */
export type GiveUpCondition = "RetryAttemptsExhausted" | "RecordAgeExceeded";

export type Checkpoint =
    /** Everything is done: continue after `sequenceNumber`, the batch's last record. */
    | { action: "advance"; sequenceNumber: string }
    /** Records before `sequenceNumber` are done; read again from it, as retry number `attempt`. */
    | { action: "retry-from"; sequenceNumber: string; attempt: number }
    /** A function error: nothing is done; invoke `halves[0]`, then `halves[1]`, each with the batch's retry count `attempt`. */
    | { action: "bisect"; halves: [BatchRecord[], BatchRecord[]]; attempt: number }
    /** Records before `sequenceNumber` are done; `discarded` go to the destination; continue after `lastSequenceNumber`. */
    | {
          action: "give-up";
          sequenceNumber: string;
          lastSequenceNumber: string;
          condition: GiveUpCondition;
          discarded: BatchRecord[];
      };

/**
 * The lowest failed sequence number of the batch, or null when the response reports no failure.
 * Returns the batch's first record when the whole batch counts as failed.
 */
export function lowestFailure(batch: Pick<BatchRecord, "sequenceNumber">[], outcome: InvocationOutcome): string | null {
    const first = batch[0].sequenceNumber;
    if ("error" in outcome) return first;
    const failures = outcome.response?.batchItemFailures;
    if (!failures || failures.length === 0) return null;
    const inBatch = new Set(batch.map(record => record.sequenceNumber));
    const identifiers = failures.map(failure => failure?.itemIdentifier);
    // Lambda cannot tell where to resume from an identifier it does not know: it retries everything.
    if (identifiers.some(id => typeof id !== "string" || !inBatch.has(id))) return first;
    return (identifiers as string[]).reduce((low, id) => (compareSequenceNumbers(id, low) < 0 ? id : low));
}

/** How many records at the start of the batch are done: the lowest failure's index, or null when none failed. */
export function failureIndex(batch: Pick<BatchRecord, "sequenceNumber">[], outcome: InvocationOutcome): number | null {
    const lowest = lowestFailure(batch, outcome);
    return lowest === null ? null : batch.findIndex(record => record.sequenceNumber === lowest);
}

/**
 * Decides what follows an invocation.
 * @param batch the records the function received, in stream order (not empty)
 * @param attempt 0 for the first invocation from this checkpoint, n for its n-th retry
 * @param limits the mapping's retry settings
 * @param now epoch milliseconds, for the record age limit
 */
export function nextCheckpoint(
    batch: BatchRecord[],
    outcome: InvocationOutcome,
    attempt: number,
    limits: RetryLimits,
    now = Date.now(),
): Checkpoint {
    if (batch.length === 0) throw new Error("nextCheckpoint: empty batch");
    const { maximumRetryAttempts, maximumRecordAgeInSeconds } = limits;
    const last = batch[batch.length - 1].sequenceNumber;
    const failedFrom = lowestFailure(batch, outcome);
    if (failedFrom === null) return { action: "advance", sequenceNumber: last };

    const remaining = batch.filter(record => compareSequenceNumbers(record.sequenceNumber, failedFrom) >= 0);
    const expired =
        maximumRecordAgeInSeconds >= 0 &&
        now - remaining[0].approximateArrivalTimestamp > maximumRecordAgeInSeconds * 1000;
    if (expired || attempt >= maximumRetryAttempts) {
        const condition = expired ? "RecordAgeExceeded" : "RetryAttemptsExhausted";
        return {
            action: "give-up",
            sequenceNumber: failedFrom,
            lastSequenceNumber: last,
            condition,
            discarded: remaining,
        };
    }
    if ("error" in outcome && limits.bisectBatchOnFunctionError && batch.length > 1) {
        const middle = Math.ceil(batch.length / 2);
        return { action: "bisect", halves: [batch.slice(0, middle), batch.slice(middle)], attempt };
    }
    return { action: "retry-from", sequenceNumber: failedFrom, attempt: attempt + 1 };
}
