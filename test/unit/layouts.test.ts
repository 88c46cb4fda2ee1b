// The S3 objects of both layouts against the processing contract ("What each record leaves
// behind", "Aggregated records", "The batch layout").
import { gunzipSync } from "zlib";
import { expect } from "chai";
import { parse } from "lossless-json";
import { planBatch } from "../../pipeline/runtime/batch";
import { objectLayoutFromEnvironment } from "../../pipeline/runtime/handler";
import { batchObjectRange, ObjectPut, plannedObjects, recordObjectKeys } from "../../pipeline/runtime/layouts";
import { aggregateRecords } from "../../harness/aws/kpl";
import { ARRIVAL, kinesisEvent, kinesisRecord, sequenceNumber, tick } from "../support/kinesis-events";

const EXACT = "415.123456789012345678901234";
const SHARD = "shardId-000000000000";

/** An object's NDJSON lines, parsed losslessly (prices keep their digits), after checking it is gzip NDJSON. */
function lines(put: ObjectPut): Record<string, unknown>[] {
    expect(put.contentType).to.equal("application/x-ndjson");
    const text = gunzipSync(put.body).toString("utf8");
    expect(text.endsWith("\n"), "every line ends with a newline").to.equal(true);
    return text
        .slice(0, -1)
        .split("\n")
        .map(line => JSON.parse(JSON.stringify(parse(line), (_, v) => (v?.isLosslessNumber ? `#${v.value}` : v))));
}

function byKey(puts: ObjectPut[]): Record<string, ObjectPut> {
    return Object.fromEntries(puts.map(put => [put.key, put]));
}

describe("the record layout", () => {
    it("builds keys from the record alone, partitioned by day and symbol or by arrival day and shard", () => {
        const record = kinesisRecord(tick("BRK.B", "1", "2026-12-31T23:59:59-05:00"), 7, "shardId-000000000003");
        const [plan] = planBatch([record]);
        expect(recordObjectKeys(plan)).to.deep.equal({
            raw: `raw/arrival_day=2026-11-28/shard=shardId-000000000003/${sequenceNumber(7)}.json`,
            processed: `processed/day=2026-12-31/symbol=BRK.B/${sequenceNumber(7)}.json`,
            rejected: undefined,
        });
    });

    it("writes raw/ and processed/ for a valid tick, raw/ and rejected/ for an invalid one, as JSON", () => {
        const puts = plannedObjects(
            "record",
            planBatch(kinesisEvent([tick("AAPL", EXACT, "2026-11-28T10:00:00"), "{}"]).Records),
        );
        expect(puts.map(put => put.key.split("/")[0])).to.deep.equal(["raw", "processed", "raw", "rejected"]);
        expect(puts.every(put => put.contentType === "application/json")).to.equal(true);
        expect(puts[1].body).to.equal(
            `{"symbol":"AAPL","price":${EXACT},"timestamp":"2026-11-28T10:00:00","day":"2026-11-28"}`,
        );
        expect(JSON.parse(puts[3].body as string)).to.deep.equal({
            reason: "symbol: missing",
            sequenceNumber: sequenceNumber(2),
            partitionKey: "AAPL",
            shardId: SHARD,
            approximateArrivalTimestamp: ARRIVAL,
            data: Buffer.from("{}").toString("base64"),
        });
    });

    it("keys a user record of an aggregate with its sub-sequence number, and keeps its own bytes and partition key", () => {
        const data = aggregateRecords([
            { partitionKey: "AAPL", data: tick("AAPL", "1", "2026-11-28T10:00:00") },
            { partitionKey: "MSFT", data: "oops" },
        ]);
        const puts = byKey(plannedObjects("record", planBatch([kinesisRecord(data, 4)])));
        const id = (sub: number) => `${sequenceNumber(4)}-${sub}`;
        expect(Object.keys(puts)).to.deep.equal([
            `raw/arrival_day=2026-11-28/shard=${SHARD}/${id(0)}.json`,
            `processed/day=2026-11-28/symbol=AAPL/${id(0)}.json`,
            `raw/arrival_day=2026-11-28/shard=${SHARD}/${id(1)}.json`,
            `rejected/arrival_day=2026-11-28/shard=${SHARD}/${id(1)}.json`,
        ]);
        expect(puts[`raw/arrival_day=2026-11-28/shard=${SHARD}/${id(1)}.json`].body).to.deep.equal(Buffer.from("oops"));
        expect(
            JSON.parse(puts[`rejected/arrival_day=2026-11-28/shard=${SHARD}/${id(1)}.json`].body as string),
        ).to.include({
            sequenceNumber: sequenceNumber(4),
            subSequenceNumber: 1,
            partitionKey: "MSFT",
            data: Buffer.from("oops").toString("base64"),
        });
    });
});

describe("the batch layout", () => {
    const first = sequenceNumber(1);

    it("writes a batch of valid ticks of one day as 2 objects: raw/ and processed/", () => {
        const payloads = Array.from({ length: 100 }, (_, i) => tick(`S${i}`, "10.5", "2026-11-28T10:00:00"));
        const puts = plannedObjects("batch", planBatch(kinesisEvent(payloads).Records));
        const name = `${first}-${sequenceNumber(100)}.ndjson.gz`;
        expect(puts.map(put => put.key)).to.deep.equal([
            `raw/arrival_day=2026-11-28/shard=${SHARD}/${name}`,
            `processed/day=2026-11-28/shard=${SHARD}/${name}`,
        ]);
        expect(lines(puts[0])).to.have.length(100);
        expect(lines(puts[1])).to.have.length(100);
    });

    it("adds one processed/ object per tick day, and rejected/ only for invalid records", () => {
        const event = kinesisEvent([
            tick("AAPL", "1", "2026-11-29T00:00:01+01:00"),
            "[]",
            tick("AAPL", "2", "2026-11-28T23:59:59-05:00"),
            tick("MSFT", "3", "2026-11-29T10:00:00"),
        ]);
        const puts = byKey(plannedObjects("batch", planBatch(event.Records)));
        const name = `${first}-${sequenceNumber(4)}.ndjson.gz`;
        expect(Object.keys(puts)).to.deep.equal([
            `raw/arrival_day=2026-11-28/shard=${SHARD}/${name}`,
            `processed/day=2026-11-28/shard=${SHARD}/${name}`,
            `processed/day=2026-11-29/shard=${SHARD}/${name}`,
            `rejected/arrival_day=2026-11-28/shard=${SHARD}/${name}`,
        ]);
        const day29 = lines(puts[`processed/day=2026-11-29/shard=${SHARD}/${name}`]);
        expect(day29.map(line => line.sequenceNumber)).to.deep.equal([sequenceNumber(1), sequenceNumber(4)]);
    });

    it("keeps every record's bytes in base64 in raw/, in sequence order, whatever they are", () => {
        const bytes = [Buffer.from('{"a":1}\n{"b":2}'), Buffer.from([0xff, 0x00, 0x0a]), Buffer.alloc(0)];
        const event = kinesisEvent(bytes);
        event.Records.reverse();
        const [raw] = plannedObjects("batch", planBatch(event.Records));
        expect(lines(raw)).to.deep.equal(
            bytes.map((data, i) => ({
                sequenceNumber: sequenceNumber(i + 1),
                partitionKey: "AAPL",
                approximateArrivalTimestamp: `#${ARRIVAL}`,
                data: data.toString("base64"),
            })),
        );
        expect(raw.records).to.have.length(3);
    });

    it("writes processed/ lines with the exact price digits and the record's coordinates", () => {
        const [, processed] = plannedObjects(
            "batch",
            planBatch(kinesisEvent([tick("^GSPC", `"${EXACT}"`, "2026-11-28T14:30:00Z")]).Records),
        );
        const text = gunzipSync(processed.body).toString("utf8");
        expect(text).to.equal(
            `{"symbol":"^GSPC","price":${EXACT},"timestamp":"2026-11-28T14:30:00Z","day":"2026-11-28",` +
                `"sequenceNumber":"${first}","shardId":"${SHARD}"}\n`,
        );
    });

    it("writes rejected/ lines as the record layout's rejected objects", () => {
        const event = kinesisEvent(["not json"]);
        const plans = planBatch(event.Records);
        const rejected = plannedObjects("batch", plans).find(put => put.key.startsWith("rejected/"))!;
        const recordLayout = plannedObjects("record", plans).find(put => put.key.startsWith("rejected/"))!;
        expect(gunzipSync(rejected.body).toString("utf8")).to.equal(`${recordLayout.body}\n`);
    });

    it("writes an aggregate's user records as lines with their sub-sequence numbers and own partition keys", () => {
        const data = aggregateRecords([
            { partitionKey: "AAPL", data: tick("AAPL", "1", "2026-11-28T10:00:00") },
            { partitionKey: "MSFT", data: "oops" },
        ]);
        const puts = plannedObjects("batch", planBatch([kinesisRecord(data, 1), kinesisRecord("{}", 2)]));
        const [raw, processed, rejected] = puts;
        expect(lines(raw).map(line => [line.sequenceNumber, line.subSequenceNumber, line.partitionKey])).to.deep.equal([
            [first, "#0", "AAPL"],
            [first, "#1", "MSFT"],
            [sequenceNumber(2), undefined, "AAPL"],
        ]);
        expect(lines(processed)).to.deep.equal([
            {
                symbol: "AAPL",
                price: "#1",
                timestamp: "2026-11-28T10:00:00",
                day: "2026-11-28",
                sequenceNumber: first,
                subSequenceNumber: "#0",
                shardId: SHARD,
            },
        ]);
        expect(lines(rejected).map(line => [line.subSequenceNumber, line.reason])).to.deep.equal([
            ["#1", lines(rejected)[0].reason],
            [undefined, "symbol: missing"],
        ]);
    });

    it("names the batch's whole range: the same records make the same keys, another composition keys of its own", () => {
        const ticks = [1, 2, 3].map(n => tick("AAPL", String(n), `2026-11-28T10:00:0${n}`));
        const keys = (payloads: string[], from = 1) =>
            plannedObjects("batch", planBatch(kinesisEvent(payloads, from).Records)).map(put => put.key);
        const once = plannedObjects("batch", planBatch(kinesisEvent(ticks.slice(0, 2)).Records));
        const again = plannedObjects("batch", planBatch(kinesisEvent(ticks.slice(0, 2)).Records));
        expect(once.map(put => [put.key, put.body])).to.deep.equal(again.map(put => [put.key, put.body]));
        // A longer or shorter batch from the same first record, or one from a later record: new keys.
        const compositions = [keys(ticks), keys(ticks.slice(0, 2)), keys(ticks.slice(0, 1)), keys(ticks.slice(1), 2)];
        expect(new Set(compositions.flat()).size).to.equal(compositions.flat().length);
    });

    it("reads a batch object's range from its name, and the first record alone from an older name", () => {
        expect(batchObjectRange(`${first}-${sequenceNumber(9)}.ndjson.gz`)).to.deep.equal({
            first,
            last: sequenceNumber(9),
        });
        expect(batchObjectRange(`${first}.ndjson.gz`)).to.deep.equal({ first });
        expect(batchObjectRange(`${first}.json`)).to.equal(undefined);
    });

    it("writes nothing for an empty batch", () => {
        expect(plannedObjects("batch", [])).to.deep.equal([]);
    });
});

describe("OBJECT_LAYOUT", () => {
    it("is record when unset, and record or batch as given", () => {
        expect([undefined, "", "record", "batch"].map(objectLayoutFromEnvironment)).to.deep.equal([
            "record",
            "record",
            "record",
            "batch",
        ]);
    });

    it("refuses any other value, naming the variable", () => {
        expect(() => objectLayoutFromEnvironment("Batch")).to.throw(
            'OBJECT_LAYOUT must be one of record, batch, got "Batch"',
        );
    });
});
