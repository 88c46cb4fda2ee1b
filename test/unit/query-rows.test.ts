// Stored objects → rows of the Glue tables, as Athena's JSON SerDe reads them.
import { expect } from "chai";
import { gzipSync } from "zlib";
import { REJECTED_TABLE, TICKS_TABLE } from "../../pipeline/analytics/tables";
import { Cell, cellText, objectRows, partitionOf } from "../../harness/query/rows";

const SEQ = "49590338271490256608559692538361571095921575989136580001";
const RECORD_KEY = `processed/day=2026-11-28/symbol=AAPL/${SEQ}.json`;
const BATCH_KEY = `processed/day=2026-11-28/shard=shardId-000000000001/${SEQ}.ndjson.gz`;
const uri = (key: string) => `s3://bucket/${key}`;
const texts = (rows: Cell[][]) => rows.map(row => row.map(cellText));

describe("reading stored objects as table rows", () => {
    it("reads a record-layout object: the exact price, NULL metadata, the day from the key and its URI as $path", () => {
        const body = Buffer.from(
            `{"symbol":"AAPL","price":415.12345678901234567850,"timestamp":"2026-11-28T14:30:00Z","day":"2026-11-28"}`,
        );
        const { rows, problems } = objectRows(TICKS_TABLE, RECORD_KEY, uri(RECORD_KEY), body);
        expect(problems).to.deep.equal([]);
        expect(texts(rows)).to.deep.equal([
            ["AAPL", "415.123456789012345679", "2026-11-28T14:30:00Z", null, null, null, "2026-11-28", uri(RECORD_KEY)],
        ]);
    });

    it("reads every line of a gzip NDJSON batch object, keys matched case-insensitively", () => {
        const lines = [
            `{"symbol":"MSFT","price":1,"timestamp":"2026-11-28T14:30:00Z","day":"2026-11-28","sequenceNumber":"${SEQ}","shardId":"shardId-000000000001"}`,
            `{"symbol":"MSFT","price":2.5,"timestamp":"2026-11-28T14:30:01Z","day":"2026-11-28","sequenceNumber":"${SEQ}","subSequenceNumber":3,"shardId":"shardId-000000000001"}`,
        ];
        const { rows, problems } = objectRows(
            TICKS_TABLE,
            BATCH_KEY,
            uri(BATCH_KEY),
            gzipSync(lines.join("\n") + "\n"),
        );
        expect(problems).to.deep.equal([]);
        expect(rows[1][4]).to.equal(3n);
        expect(texts(rows)).to.deep.equal([
            [
                "MSFT",
                "1.000000000000000000",
                "2026-11-28T14:30:00Z",
                SEQ,
                null,
                "shardId-000000000001",
                "2026-11-28",
                uri(BATCH_KEY),
            ],
            [
                "MSFT",
                "2.500000000000000000",
                "2026-11-28T14:30:01Z",
                SEQ,
                "3",
                "shardId-000000000001",
                "2026-11-28",
                uri(BATCH_KEY),
            ],
        ]);
    });

    it("takes the partition from the key, as Athena does, not from the JSON", () => {
        const body = Buffer.from(`{"symbol":"AAPL","price":1,"timestamp":"2026-11-27T23:00:00Z","day":"2026-11-27"}`);
        const { rows } = objectRows(TICKS_TABLE, RECORD_KEY, uri(RECORD_KEY), body);
        expect(rows[0][6]).to.equal("2026-11-28");
    });

    it("loads a price with more than 20 digits before the point as NULL and reports it with its line", () => {
        const body = Buffer.from(
            `{"symbol":"AAPL","price":123456789012345678901,"timestamp":"2026-11-28T14:30:00Z","day":"2026-11-28"}`,
        );
        const { rows, problems } = objectRows(TICKS_TABLE, RECORD_KEY, uri(RECORD_KEY), body);
        expect(rows).to.have.length(1);
        expect(rows[0][1]).to.equal(null);
        expect(problems).to.deep.equal([
            `${uri(RECORD_KEY)}:1: price 123456789012345678901 has more than 20 digits before the point: does not fit DECIMAL(38,18), loaded as NULL`,
        ]);
    });

    it("leaves out the lines of canary ticks, which npm run verify may leave in a batch object", () => {
        const canary = `{"symbol":"ZZCANARY-MX9ECMGU-6FE851","price":1.0001,"timestamp":"2026-11-28T14:30:00Z","day":"2026-11-28"}`;
        const real = `{"symbol":"AAPL","price":189.29,"timestamp":"2026-11-28T14:30:00Z","day":"2026-11-28"}`;
        const { rows, problems } = objectRows(TICKS_TABLE, BATCH_KEY, "s3://b/k", gzipSync(`${canary}\n${real}\n`));
        expect(problems).to.deep.equal([]);
        expect(rows.map(row => row[0])).to.deep.equal(["AAPL"]);
    });

    it("skips a line that is not JSON, reports it, and keeps the other lines", () => {
        const body = gzipSync(
            `{"symbol":"A","price":1,"timestamp":"2026-11-28"}\n{"symbol":\n{"symbol":"B","price":2,"timestamp":"2026-11-28"}\n`,
        );
        const { rows, problems } = objectRows(TICKS_TABLE, BATCH_KEY, uri(BATCH_KEY), body);
        expect(rows.map(row => row[0])).to.deep.equal(["A", "B"]);
        expect(problems).to.have.length(1);
        expect(problems[0]).to.match(
            new RegExp(`^${uri(BATCH_KEY).replace(/[.^$]/g, "\\$&")}:2: not JSON .*, line skipped$`),
        );
    });

    it("reports a .gz object that is not gzip instead of failing the load", () => {
        const { rows, problems } = objectRows(TICKS_TABLE, BATCH_KEY, uri(BATCH_KEY), Buffer.from("{}"));
        expect(rows).to.deep.equal([]);
        expect(problems[0]).to.match(/: not gzip data .*, skipped$/);
    });

    it("reads a rejected object with its arrival day and the arrival time as a double", () => {
        const key = `rejected/arrival_day=2026-11-28/shard=shardId-000000000000/${SEQ}.json`;
        const body = Buffer.from(
            `{"reason":"price: missing","sequenceNumber":"${SEQ}","partitionKey":"AAPL","shardId":"shardId-000000000000","approximateArrivalTimestamp":1795876200.123,"data":"e30="}`,
        );
        const { rows, problems } = objectRows(REJECTED_TABLE, key, uri(key), body);
        expect(problems).to.deep.equal([]);
        expect(rows).to.deep.equal([
            [
                "price: missing",
                SEQ,
                null,
                "AAPL",
                "shardId-000000000000",
                1795876200.123,
                "e30=",
                "2026-11-28",
                uri(key),
            ],
        ]);
    });

    it("finds the partition only in a well-formed day= folder of the table's prefix", () => {
        expect(partitionOf(TICKS_TABLE, RECORD_KEY)).to.equal("2026-11-28");
        expect(partitionOf(TICKS_TABLE, "processed/x.json")).to.equal(null);
        expect(partitionOf(TICKS_TABLE, "processed/day=20261128/x.json")).to.equal(null);
        expect(partitionOf(TICKS_TABLE, "rejected/arrival_day=2026-11-28/x.json")).to.equal(null);
        expect(partitionOf(REJECTED_TABLE, "rejected/arrival_day=2026-11-28/s/x.json")).to.equal("2026-11-28");
    });
});
