import { expect } from "chai";
import { kinesisRecord, redelivery } from "../support/kinesis-events";

/** A record with this exact sequence number. */
const record = (sequenceNumber: string) => {
    const r = kinesisRecord("{}", 1);
    r.kinesis.sequenceNumber = sequenceNumber;
    return r;
};

describe("the tests' redelivery after reported failures (as the event source mapping does it)", () => {
    const batch = ["8", "9", "10", "11"].map(record);
    const numbers = (records: ReturnType<typeof record>[]) => records.map(r => r.kinesis.sequenceNumber);

    it("sends again from the lowest reported record on, comparing sequence numbers as numbers", () => {
        // As strings "10" < "9": a string comparison would start at 10 and drop 9.
        expect(numbers(redelivery(batch, ["10", "9"]))).to.deep.equal(["9", "10", "11"]);
    });

    it("sends nothing again when nothing was reported", () => {
        expect(redelivery(batch, [])).to.deep.equal([]);
    });

    it("sends the whole batch again when a reported identifier is not in it, as Lambda does", () => {
        expect(numbers(redelivery(batch, ["12"]))).to.deep.equal(["8", "9", "10", "11"]);
    });
});
