import type { KinesisStreamBatchResponse } from "aws-lambda";
import { expect } from "chai";
import { DEFAULTS } from "../../pipeline/infra/config";
import {
    BatchRecord,
    Checkpoint,
    InvocationOutcome,
    nextCheckpoint,
} from "../../harness/event-source-mapping/checkpoint";

const NOW = Date.parse("2026-11-28T14:30:00Z");
// Realistic Kinesis sequence numbers: 56 digits, beyond a double's precision.
const seq = (n: number) => `4965${String(n).padStart(52, "0")}`;
const batchOf = (...ns: number[]): BatchRecord[] =>
    ns.map(n => ({ sequenceNumber: seq(n), approximateArrivalTimestamp: NOW - 1000 }));
const ok: InvocationOutcome = { response: { batchItemFailures: [] } };
const failing = (...ns: number[]): InvocationOutcome => ({
    response: { batchItemFailures: ns.map(n => ({ itemIdentifier: seq(n) })) },
});
const thrown: InvocationOutcome = { error: new Error("boom") };
const limits = { maximumRetryAttempts: 10, maximumRecordAgeInSeconds: 86400 };

describe("the event source mapping's checkpoint rule", () => {
    const batch = batchOf(1, 2, 3, 4, 5);

    it("advances past the batch when every record succeeds", () => {
        expect(nextCheckpoint(batch, ok, 0, limits, NOW)).to.deep.equal({ action: "advance", sequenceNumber: seq(5) });
    });

    it("counts a missing or null batchItemFailures, or no response at all, as success", () => {
        for (const response of [
            {} as KinesisStreamBatchResponse,
            { batchItemFailures: null } as unknown as KinesisStreamBatchResponse,
            null,
            undefined,
        ]) {
            expect(nextCheckpoint(batch, { response }, 0, limits, NOW).action).to.equal("advance");
        }
    });

    it("retries from the lowest failed sequence number, even when failures are listed out of order", () => {
        expect(nextCheckpoint(batch, failing(4, 2, 5), 0, limits, NOW)).to.deep.equal({
            action: "retry-from",
            sequenceNumber: seq(2),
            attempt: 1,
        });
    });

    it("compares sequence numbers as integers, not as text or doubles", () => {
        const uneven: BatchRecord[] = [
            { sequenceNumber: "9", approximateArrivalTimestamp: NOW },
            { sequenceNumber: "10", approximateArrivalTimestamp: NOW },
        ];
        const response = { batchItemFailures: [{ itemIdentifier: "10" }, { itemIdentifier: "9" }] };
        expect(nextCheckpoint(uneven, { response }, 0, limits, NOW)).to.include({ sequenceNumber: "9" });
        const close = batchOf(1, 2);
        expect(nextCheckpoint(close, failing(2, 1), 0, limits, NOW)).to.include({ sequenceNumber: seq(1) });
    });

    it("retries the whole batch after a function error", () => {
        expect(nextCheckpoint(batch, thrown, 0, limits, NOW)).to.deep.equal({
            action: "retry-from",
            sequenceNumber: seq(1),
            attempt: 1,
        });
    });

    it("treats an itemIdentifier that is not in the batch, empty or missing as a failure of the whole batch, as Lambda does", () => {
        const strays = [
            failing(9),
            failing(3, 9),
            { response: { batchItemFailures: [{ itemIdentifier: "" }] } },
            { response: { batchItemFailures: [{}] } } as unknown as InvocationOutcome,
        ];
        for (const outcome of strays) {
            expect(nextCheckpoint(batch, outcome, 0, limits, NOW)).to.deep.equal({
                action: "retry-from",
                sequenceNumber: seq(1),
                attempt: 1,
            });
        }
    });

    it("counts retries up: the retry after attempt n is attempt n + 1", () => {
        expect(nextCheckpoint(batch, failing(3), 4, limits, NOW)).to.deep.equal({
            action: "retry-from",
            sequenceNumber: seq(3),
            attempt: 5,
        });
    });

    it("gives up once the retries are spent, handing the records from the checkpoint on to the destination", () => {
        const decision = nextCheckpoint(batch, failing(3), 10, limits, NOW);
        expect(decision).to.deep.equal({
            action: "give-up",
            sequenceNumber: seq(3),
            lastSequenceNumber: seq(5),
            condition: "RetryAttemptsExhausted",
            discarded: batchOf(3, 4, 5),
        });
    });

    it("gives up a whole batch on a function error once the retries are spent", () => {
        const decision = nextCheckpoint(batch, thrown, 10, limits, NOW) as Extract<Checkpoint, { action: "give-up" }>;
        expect(decision.action).to.equal("give-up");
        expect(decision.discarded).to.deep.equal(batch);
    });

    it("gives up at the first failure when maximumRetryAttempts is 0", () => {
        expect(nextCheckpoint(batch, thrown, 0, { ...limits, maximumRetryAttempts: 0 }, NOW).action).to.equal(
            "give-up",
        );
    });

    it("gives up when the records to retry are older than maximumRecordAgeInSeconds", () => {
        const old = [{ sequenceNumber: seq(1), approximateArrivalTimestamp: NOW - 61_000 }];
        const decision = nextCheckpoint(
            old,
            thrown,
            0,
            { maximumRetryAttempts: 10, maximumRecordAgeInSeconds: 60 },
            NOW,
        );
        expect(decision).to.include({ action: "give-up", condition: "RecordAgeExceeded" });
        expect(
            nextCheckpoint(old, thrown, 0, { maximumRetryAttempts: 10, maximumRecordAgeInSeconds: -1 }, NOW).action,
        ).to.equal("retry-from");
    });

    it("does not apply the retry bound or the age limit to a batch that succeeds", () => {
        const old = [{ sequenceNumber: seq(1), approximateArrivalTimestamp: 0 }];
        expect(
            nextCheckpoint(old, ok, 99, { maximumRetryAttempts: 0, maximumRecordAgeInSeconds: 60 }, NOW).action,
        ).to.equal("advance");
    });
});

describe("the checkpoint rule with BisectBatchOnFunctionError", () => {
    const bisecting = { ...limits, bisectBatchOnFunctionError: true };

    it("splits a batch in two on a function error, the first half taking the odd record, spending no retry", () => {
        // "Splitting batches doesn't consume the retry quota" (the on-failure destination's page).
        expect(nextCheckpoint(batchOf(1, 2, 3, 4, 5), thrown, 2, bisecting, NOW)).to.deep.equal({
            action: "bisect",
            halves: [batchOf(1, 2, 3), batchOf(4, 5)],
            attempt: 2,
        });
    });

    it("retries a single record instead of splitting it", () => {
        expect(nextCheckpoint(batchOf(7), thrown, 2, bisecting, NOW)).to.deep.equal({
            action: "retry-from",
            sequenceNumber: seq(7),
            attempt: 3,
        });
    });

    it("still retries from the lowest reported failure when the function returns one (no bisection)", () => {
        expect(nextCheckpoint(batchOf(1, 2, 3, 4), failing(3), 0, bisecting, NOW)).to.deep.equal({
            action: "retry-from",
            sequenceNumber: seq(3),
            attempt: 1,
        });
    });

    it("gives up instead of splitting once the retries are spent, or the records are too old", () => {
        expect(nextCheckpoint(batchOf(1, 2), thrown, 10, bisecting, NOW)).to.include({
            action: "give-up",
            condition: "RetryAttemptsExhausted",
        });
        const old = batchOf(1, 2).map(record => ({ ...record, approximateArrivalTimestamp: NOW - 61_000 }));
        expect(nextCheckpoint(old, thrown, 0, { ...bisecting, maximumRecordAgeInSeconds: 60 }, NOW)).to.include({
            action: "give-up",
            condition: "RecordAgeExceeded",
        });
    });

    /** Plays the mapping against a function that fails any batch holding `poison`: what each record ends as. */
    function isolate(size: number, poison: number, maximumRetryAttempts: number) {
        const invocations: number[][] = [];
        const done: number[] = [];
        const givenUp: number[] = [];
        const parts: { records: BatchRecord[]; attempt: number }[] = [
            { records: batchOf(...Array.from({ length: size }, (_, i) => i + 1)), attempt: 0 },
        ];
        const number = (record: BatchRecord) => Number(record.sequenceNumber.slice(4));
        while (parts.length > 0) {
            const { records, attempt } = parts.shift()!;
            invocations.push(records.map(number));
            const outcome = records.some(record => number(record) === poison) ? thrown : ok;
            const next = nextCheckpoint(records, outcome, attempt, { ...bisecting, maximumRetryAttempts }, NOW);
            if (next.action === "advance") done.push(...records.map(number));
            if (next.action === "give-up") givenUp.push(...next.discarded.map(number));
            if (next.action === "retry-from") parts.unshift({ records, attempt: next.attempt });
            if (next.action === "bisect")
                parts.unshift(...next.halves.map(half => ({ records: half, attempt: next.attempt })));
        }
        return { invocations, done, givenUp };
    }

    it("isolates a poison record: every other record is done, only the poison goes to the destination", () => {
        const { done, givenUp, invocations } = isolate(100, 37, 10);
        expect(givenUp).to.deep.equal([37]);
        expect(done).to.have.length(99).and.not.include(37);
        expect(done).to.deep.equal([...done].sort((a, b) => a - b)); // stream order is kept
        // Seven halvings, which spend no retry, reach the poison alone; then it is retried alone until the bound.
        expect(invocations.filter(batch => batch.length === 1 && batch[0] === 37)).to.have.length(11);
    });

    it("invokes the poison alone maximumRetryAttempts + 1 times, after one invocation per halving", () => {
        for (const maximumRetryAttempts of [1, 3, 10]) {
            const { invocations, givenUp } = isolate(64, 5, maximumRetryAttempts);
            const timesFive = invocations.filter(batch => batch.includes(5)).length;
            const alone = invocations.filter(batch => batch.length === 1 && batch[0] === 5).length;
            expect(alone, `maximumRetryAttempts ${maximumRetryAttempts}`).to.equal(maximumRetryAttempts + 1);
            expect(timesFive, `maximumRetryAttempts ${maximumRetryAttempts}`).to.equal(6 + maximumRetryAttempts + 1);
            expect(givenUp).to.deep.equal([5]);
        }
    });

    it("isolates the poison with a single retry allowed, since splitting spends none", () => {
        const { givenUp, done } = isolate(16, 3, 1);
        expect(givenUp).to.deep.equal([3]);
        expect(done).to.deep.equal([1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    });
});

describe("the retry bound", () => {
    /** Feeds nextCheckpoint's own decisions back to it, as the poller does, until the shard moves on. */
    function invocationsUntilTheShardMovesOn(
        outcome: InvocationOutcome,
        maximumRetryAttempts: number,
    ): { invocations: number; last: Checkpoint } {
        let attempt = 0;
        for (let invocations = 1; invocations < 100_000; invocations++) {
            const last = nextCheckpoint(batchOf(1, 2, 3), outcome, attempt, { ...limits, maximumRetryAttempts }, NOW);
            if (last.action !== "retry-from") return { invocations, last };
            attempt = last.attempt;
        }
        throw new Error("never moved on");
    }

    it("holds a shard for maximumRetryAttempts + 1 invocations of a batch that always fails, then moves on", () => {
        expect(invocationsUntilTheShardMovesOn(thrown, DEFAULTS.maximumRetryAttempts)).to.deep.include({
            invocations: DEFAULTS.maximumRetryAttempts + 1,
        });
        expect(invocationsUntilTheShardMovesOn(failing(2), 3).invocations).to.equal(4);
        expect(invocationsUntilTheShardMovesOn(failing(2), 0).invocations).to.equal(1);
    });

    it("moves on by giving the failing records up, never by advancing over them", () => {
        expect(invocationsUntilTheShardMovesOn(failing(2), 3).last).to.include({
            action: "give-up",
            sequenceNumber: seq(2),
        });
    });
});
