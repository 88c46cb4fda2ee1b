import { expect } from "chai";
import {
    compareRecords,
    compareSequenceNumbers,
    failuresToReport,
    ingestLagMs,
    latestPerKey,
    planBatch,
    planRecord,
    recordId,
} from "../../pipeline/runtime/batch";
import { aggregateRecords } from "../../harness/aws/kpl";
import { kinesisRecord, sequenceNumber, tick } from "../support/kinesis-events";

describe("batch planning", () => {
    it("orders sequence numbers as numbers, not as doubles or by length-blind text", () => {
        expect(compareSequenceNumbers("9", "10")).to.be.below(0);
        expect(compareSequenceNumbers(sequenceNumber(2), sequenceNumber(1))).to.be.above(0);
        expect(compareSequenceNumbers(`${sequenceNumber(1)}`, `${sequenceNumber(1)}`)).to.equal(0);
        // These two differ beyond a double's 17 digits.
        expect(
            compareSequenceNumbers(
                "49590338271490256608559692538361571095921575989136588898",
                "49590338271490256608559692538361571095921575989136588899",
            ),
        ).to.be.below(0);
    });

    it("orders user records by sequence number, then sub-sequence number", () => {
        const at = (n: number, sub?: number) => ({ sequenceNumber: sequenceNumber(n), subSequenceNumber: sub });
        expect(compareRecords(at(1, 9), at(2, 0))).to.be.below(0);
        expect(compareRecords(at(2, 10), at(2, 9))).to.be.above(0);
        expect(compareRecords(at(2, 0), at(2, 0))).to.equal(0);
    });

    it("keeps one item per symbol and timestamp: the highest sequence number's", () => {
        const plans = [
            ...planRecord(kinesisRecord(tick("AAPL", "1", "2026-11-28T10:00:00"), 3)),
            ...planRecord(kinesisRecord(tick("AAPL", "2", "2026-11-28T10:00:00"), 1)),
            ...planRecord(kinesisRecord(tick("AAPL", "3", "2026-11-28T10:00:01"), 2)),
            ...planRecord(kinesisRecord("oops", 4)),
        ];
        expect(latestPerKey(plans).map(plan => plan.tick!.price)).to.deep.equal(["1", "3"]);
    });

    it("keeps, within an aggregate, the user record with the highest sub-sequence number", () => {
        const data = aggregateRecords([
            { partitionKey: "AAPL", data: tick("AAPL", "1", "2026-11-28T10:00:00") },
            { partitionKey: "AAPL", data: tick("AAPL", "2", "2026-11-28T10:00:00") },
        ]);
        const plans = planBatch([kinesisRecord(data, 5)]).reverse();
        expect(latestPerKey(plans).map(plan => [plan.subSequenceNumber, plan.tick!.price])).to.deep.equal([[1, "2"]]);
    });

    it("classifies a record as a tick or as invalid with the reason", () => {
        const [valid] = planRecord(kinesisRecord(tick("AAPL", "1.50", "2026-11-28T10:00:00"), 1));
        expect(valid).to.include({ sequenceNumber: sequenceNumber(1), shardId: "shardId-000000000000" });
        expect(valid.tick).to.deep.equal({
            symbol: "AAPL",
            price: "1.50",
            timestamp: "2026-11-28T10:00:00",
            day: "2026-11-28",
        });
        expect(valid).to.not.have.property("subSequenceNumber");
        const [invalid] = planRecord(kinesisRecord("{}", 2));
        expect(invalid.reason).to.equal("symbol: missing");
        expect(invalid.data.toString()).to.equal("{}");
    });

    it("unpacks an aggregate into user records with the parent's sequence number, their index and their own partition key", () => {
        const data = aggregateRecords([
            { partitionKey: "AAPL", data: tick("AAPL", "1", "2026-11-28T10:00:00") },
            { partitionKey: "MSFT", data: "not json" },
            { partitionKey: "^GSPC", data: tick("^GSPC", "5300.25", "2026-11-29T10:00:00") },
        ]);
        const plans = planRecord(kinesisRecord(data, 7, "shardId-000000000002"));
        expect(
            plans.map(plan => [plan.sequenceNumber, plan.subSequenceNumber, plan.partitionKey, plan.shardId]),
        ).to.deep.equal([
            [sequenceNumber(7), 0, "AAPL", "shardId-000000000002"],
            [sequenceNumber(7), 1, "MSFT", "shardId-000000000002"],
            [sequenceNumber(7), 2, "^GSPC", "shardId-000000000002"],
        ]);
        expect(plans.map(plan => plan.tick?.symbol ?? plan.reason)).to.deep.equal(["AAPL", plans[1].reason, "^GSPC"]);
        expect(plans[1].reason).to.match(/^data: not valid JSON/);
        expect(plans[1].data.toString()).to.equal("not json");
        expect(plans.map(recordId)).to.deep.equal([0, 1, 2].map(sub => `${sequenceNumber(7)}-${sub}`));
    });

    it("quarantines an aggregate with a wrong MD5 whole: one invalid record with all its bytes", () => {
        const data = aggregateRecords([{ partitionKey: "AAPL", data: tick("AAPL", "1", "2026-11-28T10:00:00") }]);
        data[data.length - 1] ^= 0x01;
        const plans = planRecord(kinesisRecord(data, 3));
        expect(plans).to.have.length(1);
        expect(plans[0].reason).to.match(/^aggregate: MD5/);
        expect(plans[0].subSequenceNumber).to.equal(undefined);
        expect(plans[0].data).to.deep.equal(data);
        expect(recordId(plans[0])).to.equal(sequenceNumber(3));
    });

    it("puts the batch in stream order, whatever the order of the event", () => {
        const records = [3, 1, 2].map(n => kinesisRecord(tick("AAPL", String(n), "2026-11-28T10:00:00"), n));
        expect(planBatch(records).map(plan => plan.tick!.price)).to.deep.equal(["1", "2", "3"]);
    });

    describe("what is reported when writes fail", () => {
        const plans = planBatch([
            kinesisRecord(tick("AAPL", "1", "2026-11-28T10:00:00"), 1),
            kinesisRecord(
                aggregateRecords([
                    { partitionKey: "AAPL", data: tick("AAPL", "2", "2026-11-28T10:00:01") },
                    { partitionKey: "MSFT", data: tick("MSFT", "3", "2026-11-28T10:00:01") },
                ]),
                2,
            ),
            kinesisRecord(tick("AAPL", "4", "2026-11-28T10:00:02"), 3),
        ]);
        const [first, user0, user1, last] = plans;

        const table: [string, "record" | "batch", typeof plans, string[], typeof plans][] = [
            ["nothing, when every write succeeded (record layout)", "record", [], [], []],
            ["nothing, when every write succeeded (batch layout)", "batch", [], [], []],
            ["each failed record (record layout)", "record", [first, last], seqs(1, 3), [first, last]],
            [
                "a user record's aggregate, which is then redelivered whole (record layout)",
                "record",
                [user1],
                seqs(2),
                [user0, user1],
            ],
            ["the batch's first record for any failure (batch layout)", "batch", [last], seqs(1), plans],
            ["the batch's first record for a user record's failure (batch layout)", "batch", [user0], seqs(1), plans],
        ];
        for (const [what, layout, failed, identifiers, redelivered] of table) {
            it(`reports ${what}`, () => {
                const report = failuresToReport(layout, plans, new Set(failed));
                expect(report.identifiers).to.deep.equal(identifiers);
                expect([...report.redelivered].map(recordId).sort()).to.deep.equal(redelivered.map(recordId).sort());
            });
        }
    });

    it("measures the ingest lag from the oldest record's arrival, and none for an empty batch", () => {
        const older = { ...kinesisRecord(tick("AAPL", "1", "2026-11-28T10:00:00"), 1) };
        older.kinesis = { ...older.kinesis, approximateArrivalTimestamp: 1795876200 };
        const newer = kinesisRecord(tick("AAPL", "1", "2026-11-28T10:00:01"), 2);
        newer.kinesis = { ...newer.kinesis, approximateArrivalTimestamp: 1795876201.5 };
        expect(ingestLagMs([newer, older], 1795876203_250)).to.equal(3250);
        expect(ingestLagMs([], Date.now())).to.equal(undefined);
    });
});

function seqs(...ns: number[]): string[] {
    return ns.map(sequenceNumber);
}
