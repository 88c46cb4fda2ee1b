import { expect } from "chai";
import { compareSequenceNumbers, latestPerKey, objectKeys, planRecord } from "../pipeline/runtime/batch";
import { retryDeadline } from "../pipeline/runtime/handler";
import { isTransient, writeAll } from "../pipeline/runtime/retry";
import { kinesisRecord, sequenceNumber, tick } from "./support/kinesis-events";

describe("batch planning", () => {
    it("orders sequence numbers as numbers, not as doubles or by length-blind text", () => {
        expect(compareSequenceNumbers("9", "10")).to.be.below(0);
        expect(compareSequenceNumbers(sequenceNumber(2), sequenceNumber(1))).to.be.above(0);
        expect(compareSequenceNumbers(`${sequenceNumber(1)}`, `${sequenceNumber(1)}`)).to.equal(0);
        // These two differ beyond a double's 17 digits.
        expect(compareSequenceNumbers("49590338271490256608559692538361571095921575989136588898", "49590338271490256608559692538361571095921575989136588899")).to.be.below(0);
    });

    it("keeps one item per symbol and timestamp: the highest sequence number's", () => {
        const plans = [
            planRecord(kinesisRecord(tick("AAPL", "1", "2026-11-28T10:00:00"), 3)),
            planRecord(kinesisRecord(tick("AAPL", "2", "2026-11-28T10:00:00"), 1)),
            planRecord(kinesisRecord(tick("AAPL", "3", "2026-11-28T10:00:01"), 2)),
            planRecord(kinesisRecord("oops", 4)),
        ];
        expect(latestPerKey(plans).map(plan => plan.tick!.price)).to.deep.equal(["1", "3"]);
    });

    it("plans raw/ and processed/ for a valid tick, raw/ and rejected/ for an invalid one", () => {
        expect(planRecord(kinesisRecord(tick("AAPL", "1", "2026-11-28T10:00:00"), 1)).puts.map(put => put.key.split("/")[0])).to.deep.equal(["raw", "processed"]);
        const invalid = planRecord(kinesisRecord("{}", 2));
        expect(invalid.puts.map(put => put.key.split("/")[0])).to.deep.equal(["raw", "rejected"]);
        expect(invalid.reason).to.equal("symbol: missing");
    });

    it("builds keys from the record alone, partitioned by day and symbol or by arrival day and shard", () => {
        const record = kinesisRecord(tick("BRK.B", "1", "2026-12-31T23:59:59-05:00"), 7, "shardId-000000000003");
        const keys = objectKeys(record, planRecord(record).tick);
        expect(keys).to.deep.equal({
            raw: `raw/arrival_day=2026-11-28/shard=shardId-000000000003/${sequenceNumber(7)}.json`,
            processed: `processed/day=2026-12-31/symbol=BRK.B/${sequenceNumber(7)}.json`,
            rejected: undefined,
        });
    });
});

describe("retries", () => {
    const withStatus = (name: string, status?: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
    const cases: [string, unknown, boolean][] = [
        ["a 500", withStatus("InternalError", 500), true],
        ["a 503 SlowDown", withStatus("SlowDown", 503), true],
        ["DynamoDB throttling (400)", withStatus("ProvisionedThroughputExceededException", 400), true],
        ["a 429", withStatus("TooManyRequestsException", 429), true],
        ["a connection reset (no HTTP status)", Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), true],
        ["a socket timeout", Object.assign(new Error("timed out"), { name: "TimeoutError" }), true],
        ["AccessDenied (403)", withStatus("AccessDenied", 403), false],
        ["a bug in our own code (TypeError)", new TypeError("Cannot read properties of undefined"), false],
        ["NoSuchBucket (404)", withStatus("NoSuchBucket", 404), false],
        ["a ValidationException (400)", withStatus("ValidationException", 400), false],
    ];
    for (const [what, error, transient] of cases) {
        it(`${transient ? "retries" : "does not retry"} ${what}`, () => {
            expect(isTransient(error)).to.equal(transient);
        });
    }

    it("stops starting requests early enough for one more to connect and time out before Lambda's own timeout", () => {
        expect(retryDeadline({ getRemainingTimeInMillis: () => 60_000 }, 0)).to.equal(52_000);
        expect(retryDeadline({ getRemainingTimeInMillis: () => 2_000 }, 0)).to.equal(1_000);
    });
});

describe("writing with retries", () => {
    const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

    it("starts no request after the deadline and returns the items it did not get to", async () => {
        const started = Date.now();
        const sent: number[] = [];
        const left = await writeAll({
            items: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            deadline: started + 250,
            concurrency: 2,
            onError: () => undefined,
            send: async ([item]) => { sent.push(item); await sleep(100); },
        });
        // Two at a time, 100 ms each: requests start at 0, 100 and 200 ms; none at 300 ms.
        expect(sent).to.deep.equal([1, 2, 3, 4, 5, 6]);
        expect(left).to.deep.equal([7, 8, 9, 10]);
        expect(Date.now() - started).to.be.below(400);
    });

    it("retries transient failures and gives up on permanent ones at once", async () => {
        const attempts = new Map<string, number>();
        const errors: unknown[] = [];
        const left = await writeAll({
            items: ["flaky", "refused", "fine"],
            deadline: Date.now() + 5_000,
            concurrency: 3,
            onError: error => errors.push(error),
            send: async ([item]) => {
                const n = (attempts.get(item) ?? 0) + 1;
                attempts.set(item, n);
                if (item === "flaky" && n < 3) throw Object.assign(new Error("busy"), { name: "SlowDown", $metadata: { httpStatusCode: 503 } });
                if (item === "refused") throw Object.assign(new Error("no"), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } });
            },
        });
        expect(left).to.deep.equal(["refused"]);
        expect(Object.fromEntries(attempts)).to.deep.equal({ flaky: 3, refused: 1, fine: 1 });
        expect(errors).to.have.length(3);
    });

    it("resends only what a request reports as unprocessed", async () => {
        const requests: string[][] = [];
        const left = await writeAll({
            items: ["a", "b", "c"],
            deadline: Date.now() + 5_000,
            concurrency: 1,
            group: items => [items],
            onError: () => undefined,
            send: async group => {
                requests.push(group);
                return { retry: requests.length === 1 ? group.filter(item => item !== "a") : [], failed: [] };
            },
        });
        expect(left).to.deep.equal([]);
        expect(requests).to.deep.equal([["a", "b", "c"], ["b", "c"]]);
    });
});
