import { expect } from "chai";
import {
    compareSequenceNumbers,
    ingestLagMs,
    latestPerKey,
    objectKeys,
    planRecord,
} from "../../pipeline/runtime/batch";
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
        expect(
            planRecord(kinesisRecord(tick("AAPL", "1", "2026-11-28T10:00:00"), 1)).puts.map(
                put => put.key.split("/")[0],
            ),
        ).to.deep.equal(["raw", "processed"]);
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

    it("measures the ingest lag from the oldest record's arrival, and none for an empty batch", () => {
        const older = { ...kinesisRecord(tick("AAPL", "1", "2026-11-28T10:00:00"), 1) };
        older.kinesis = { ...older.kinesis, approximateArrivalTimestamp: 1795876200 };
        const newer = kinesisRecord(tick("AAPL", "1", "2026-11-28T10:00:01"), 2);
        newer.kinesis = { ...newer.kinesis, approximateArrivalTimestamp: 1795876201.5 };
        expect(ingestLagMs([newer, older], 1795876203_250)).to.equal(3250);
        expect(ingestLagMs([], Date.now())).to.equal(undefined);
    });
});
