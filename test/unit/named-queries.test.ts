// The named queries' SQL, run by the local DuckDB engine over rows of both layouts; the rows are
// loaded without the loader's deduplication, so the SQL alone must count each record once.
import { expect } from "chai";
import { gzipSync } from "zlib";
import {
    bindParameters,
    CANDLE_INTERVALS,
    findNamedQuery,
    NAMED_QUERIES,
    REPORT_QUERIES,
} from "../../pipeline/analytics/queries";
import { GLUE_TABLES, GlueTableDefinition, REJECTED_TABLE, TICKS_TABLE } from "../../pipeline/analytics/tables";
import { LocalEngine } from "../../harness/query/engine";
import { Cell, objectRows } from "../../harness/query/rows";

/** Sequence numbers as short as "9" and as long as "11": compared as numbers, "11" comes after "9". */
const SHARD = "shardId-000000000000";
type Tick = { symbol: string; price: string; timestamp: string };
const tickJson = ({ symbol, price, timestamp }: Tick, extra = "") =>
    `{"symbol":"${symbol}","price":${price},"timestamp":"${timestamp}","day":"${timestamp.slice(0, 10)}"${extra}}`;

interface StoredObject {
    table: GlueTableDefinition;
    key: string;
    body: Buffer;
}

/** processed/day=D/symbol=S/<seq>[-<sub>].json, as the processor writes it. */
function recordObject(seq: string, tick: Tick): StoredObject {
    const key = `processed/day=${tick.timestamp.slice(0, 10)}/symbol=${tick.symbol}/${seq}.json`;
    return { table: TICKS_TABLE, key, body: Buffer.from(tickJson(tick)) };
}

/** processed/day=D/shard=S/<first>.ndjson.gz, lines in the contract's batch format. */
function batchObject(day: string, lines: [string, Tick][]): StoredObject {
    const ndjson =
        lines.map(([seq, tick]) => tickJson(tick, `,"sequenceNumber":"${seq}","shardId":"${SHARD}"`)).join("\n") + "\n";
    return {
        table: TICKS_TABLE,
        key: `processed/day=${day}/shard=${SHARD}/${lines[0][0]}.ndjson.gz`,
        body: gzipSync(ndjson),
    };
}

function rejectedObject(seq: string, reason: string, batchFirst?: string): StoredObject {
    const json = `{"reason":"${reason}","sequenceNumber":"${seq}","partitionKey":"AAPL","shardId":"${SHARD}","approximateArrivalTimestamp":1795876200.123,"data":"e30="}`;
    const folder = `rejected/arrival_day=2026-11-28/shard=${SHARD}`;
    if (batchFirst === undefined)
        return { table: REJECTED_TABLE, key: `${folder}/${seq}.json`, body: Buffer.from(json) };
    return { table: REJECTED_TABLE, key: `${folder}/${batchFirst}.ndjson.gz`, body: gzipSync(json + "\n") };
}

const OBJECTS: StoredObject[] = [
    // AAPL, record layout. 14:30: three ticks, one written with a space and 59 s (later than the
    // .5 s one whatever the separator), two at 14:30:59 told apart by sequence number (9 < 11).
    recordObject("10", { symbol: "AAPL", price: "100", timestamp: "2026-11-28T14:30:00.5" }),
    recordObject("9", { symbol: "AAPL", price: "101", timestamp: "2026-11-28 14:30:59" }),
    recordObject("11", { symbol: "AAPL", price: "102", timestamp: "2026-11-28T14:30:59" }),
    recordObject("12", { symbol: "AAPL", price: "99.5", timestamp: "2026-11-28T14:31" }),
    // an older record with the same symbol and timestamp as 12 (8 < 12 as numbers, not as text):
    // the table holds 12's price, so 8's is counted nowhere
    recordObject("8", { symbol: "AAPL", price: "150", timestamp: "2026-11-28T14:31" }),
    // two user records of one KPL aggregate: the same wall time written two ways (two items),
    // ordered by subsequence number
    recordObject("13-1", { symbol: "AAPL", price: "6", timestamp: "2026-11-28T14:32:00.000Z" }),
    recordObject("13-0", { symbol: "AAPL", price: "5", timestamp: "2026-11-28T14:32:00Z" }),
    // two user records of one aggregate with the same timestamp: the later one's price is the item
    recordObject("14-0", { symbol: "AAPL", price: "7", timestamp: "2026-11-28T14:33:00Z" }),
    recordObject("14-1", { symbol: "AAPL", price: "8", timestamp: "2026-11-28T14:33:00Z" }),
    recordObject("30", { symbol: "AAPL", price: "103", timestamp: "2026-11-29T09:00:00-05:00" }),
    // MSFT, batch layout: record 21 is in two objects (a redelivery that started elsewhere)
    batchObject("2026-11-28", [
        ["20", { symbol: "MSFT", price: "10", timestamp: "2026-11-28T14:30:00Z" }],
        ["21", { symbol: "MSFT", price: "11", timestamp: "2026-11-28T14:30:10Z" }],
    ]),
    batchObject("2026-11-28", [
        ["21", { symbol: "MSFT", price: "11", timestamp: "2026-11-28T14:30:10Z" }],
        ["22", { symbol: "MSFT", price: "12", timestamp: "2026-11-28T14:30:20Z" }],
    ]),
    // AAPL 12 again, in the batch layout (written again after a layout switch)
    batchObject("2026-11-28", [["12", { symbol: "AAPL", price: "99.5", timestamp: "2026-11-28T14:31" }]]),
    batchObject("2026-11-29", [
        ["31", { symbol: "MSFT", price: "415.12345678901234567850", timestamp: "2026-11-29T10:00:00Z" }],
    ]),
    rejectedObject("40", "price: missing"),
    rejectedObject("41", "price: missing"),
    rejectedObject("42", "data: not valid JSON"),
    rejectedObject("41", "price: missing", "41"),
    rejectedObject("43", "price: missing", "43"),
];

/** An engine holding the objects' rows, and `rawTickRows` appended as they are (as Athena sees every line). */
async function engineWith(objects: StoredObject[], rawTickRows: Cell[][] = []): Promise<LocalEngine> {
    const engine = await LocalEngine.open(GLUE_TABLES);
    for (const { table, key, body } of objects) {
        const { rows, problems } = objectRows(table, key, `s3://bucket/${key}`, body);
        expect(problems).to.deep.equal([]);
        engine.append(table.name, rows);
    }
    engine.append(TICKS_TABLE.name, rawTickRows);
    engine.finishLoading();
    return engine;
}

async function named(engine: LocalEngine, name: string, params: Record<string, string> = {}) {
    const query = findNamedQuery(name)!;
    return (await engine.query(query.sql, bindParameters(query, params))).rows;
}

const d = (integer: string) => `${integer}.000000000000000000`;

describe("the named queries on the local engine", () => {
    let engine: LocalEngine;
    before(async () => {
        engine = await engineWith(OBJECTS);
    });
    after(() => engine?.close());

    it("ticks-per-day counts each record once, across objects and layouts, and one tick per symbol and timestamp", async () => {
        expect(await named(engine, "ticks-per-day")).to.deep.equal([
            ["2026-11-28", "AAPL", "7"],
            ["2026-11-28", "MSFT", "3"],
            ["2026-11-29", "AAPL", "1"],
            ["2026-11-29", "MSFT", "1"],
        ]);
    });

    it("ohlc-minute: open and close by the timestamp as written, then by sequence number as a number, then subsequence", async () => {
        expect(await named(engine, "ohlc-minute", { day: "2026-11-28" })).to.deep.equal([
            ["AAPL", "2026-11-28T14:30", d("100"), d("102"), d("100"), d("102"), "3"],
            [
                "AAPL",
                "2026-11-28T14:31",
                "99.500000000000000000",
                "99.500000000000000000",
                "99.500000000000000000",
                "99.500000000000000000",
                "1",
            ],
            ["AAPL", "2026-11-28T14:32", d("5"), d("6"), d("5"), d("6"), "2"],
            ["AAPL", "2026-11-28T14:33", d("8"), d("8"), d("8"), d("8"), "1"],
            ["MSFT", "2026-11-28T14:30", d("10"), d("12"), d("10"), d("12"), "3"],
        ]);
    });

    it("ohlc-minute leaves out a tick a later record with the same symbol and timestamp replaced in the table", async () => {
        const rows = await named(engine, "ohlc-minute", { day: "2026-11-28" });
        const bar = (minute: string) => rows.find(row => row[0] === "AAPL" && row[1] === minute)?.slice(2);
        const kept = "99.500000000000000000";
        // Records 8 (150) and 12 (99.5) have the same timestamp: 12 is the later, as a number.
        expect(bar("2026-11-28T14:31")).to.deep.equal([kept, kept, kept, kept, "1"]);
        // User records 14-0 (7) and 14-1 (8) of one aggregate have the same timestamp: 14-1 is the later.
        expect(bar("2026-11-28T14:33")).to.deep.equal([d("8"), d("8"), d("8"), d("8"), "1"]);
    });

    it("ohlc-minute reads only the day it is given", async () => {
        expect(await named(engine, "ohlc-minute", { day: "2026-11-29" })).to.deep.equal([
            ["AAPL", "2026-11-29T09:00", d("103"), d("103"), d("103"), d("103"), "1"],
            [
                "MSFT",
                "2026-11-29T10:00",
                "415.123456789012345679",
                "415.123456789012345679",
                "415.123456789012345679",
                "415.123456789012345679",
                "1",
            ],
        ]);
    });

    it("ohlc-day spans each day's minutes", async () => {
        const rows = await named(engine, "ohlc-day");
        expect(rows.slice(0, 3)).to.deep.equal([
            ["AAPL", "2026-11-28", d("100"), d("102"), d("5"), d("8"), "7"],
            ["AAPL", "2026-11-29", d("103"), d("103"), d("103"), d("103"), "1"],
            ["MSFT", "2026-11-28", d("10"), d("12"), d("10"), d("12"), "3"],
        ]);
        expect(rows).to.have.length(4);
    });

    it("latest-price gives each symbol's last price, exact, with the timestamp as written", async () => {
        expect(await named(engine, "latest-price")).to.deep.equal([
            ["AAPL", d("103"), "2026-11-29T09:00:00-05:00"],
            ["MSFT", "415.123456789012345679", "2026-11-29T10:00:00Z"],
        ]);
    });

    it("leave canary ticks out of every query over ticks, though Athena's table holds their lines", async () => {
        // Athena reads every line; only the SQL can leave canaries out. Load one as Athena would see it.
        const tick = { symbol: "AAPL", price: "1.0001", timestamp: "2026-11-29T23:00:00Z" };
        const { key, body } = recordObject("50", tick);
        const [row] = objectRows(TICKS_TABLE, key, `s3://bucket/${key}`, body).rows;
        row[TICKS_TABLE.columns.findIndex(column => column.name === "symbol")] = "ZZCANARY-MX9ECMGU-6FE851";
        const canaryEngine = await engineWith(OBJECTS, [row]);
        try {
            for (const query of NAMED_QUERIES.filter(query => query.sql.includes(TICKS_TABLE.name))) {
                const params = Object.fromEntries(query.parameters.map(p => [p.name, "2026-11-29"]));
                const rows = await named(canaryEngine, query.name, params);
                expect(JSON.stringify(rows), query.name).to.not.include("ZZCANARY");
            }
            expect(await named(canaryEngine, "latest-price")).to.deep.equal(await named(engine, "latest-price"));
        } finally {
            canaryEngine.close();
        }
    });

    it("rejected-per-day counts a rejected record in two objects once", async () => {
        expect(await named(engine, "rejected-per-day")).to.deep.equal([
            ["2026-11-28", "data: not valid JSON", "1"],
            ["2026-11-28", "price: missing", "3"],
        ]);
    });

    it("the loader's deduplication drops exactly the second copies and leaves the answers alone", async () => {
        const deduplicated = await engineWith(OBJECTS);
        try {
            expect(await deduplicated.deduplicate(TICKS_TABLE)).to.equal(2);
            expect(await deduplicated.deduplicate(REJECTED_TABLE)).to.equal(1);
            expect((await deduplicated.query("SELECT count(*) FROM ticks")).rows).to.deep.equal([["14"]]);
            for (const name of ["ticks-per-day", "ohlc-day", "latest-price", "rejected-per-day"]) {
                expect(await named(deduplicated, name), name).to.deep.equal(await named(engine, name));
            }
        } finally {
            deduplicated.close();
        }
    });

    it("keeps a 38-digit price and a 20-decimal one exact through DuckDB", async () => {
        const result = await engine.query(
            `SELECT CAST('99999999999999999999.999999999999999999' AS DECIMAL(38,18)) AS widest, max(price) AS top FROM ticks`,
        );
        expect(result.columns.map(column => column.kind)).to.deep.equal(["decimal", "decimal"]);
        expect(result.rows).to.deep.equal([["99999999999999999999.999999999999999999", "415.123456789012345679"]]);
    });
});

describe("the report's queries on the local engine", () => {
    let engine: LocalEngine;
    before(async () => {
        engine = await engineWith(OBJECTS);
    });
    after(() => engine?.close());

    const interval = (name: string) => CANDLE_INTERVALS.find(candidate => candidate.name === name)!;
    const candles = async (name: string, on = engine) => (await on.query(REPORT_QUERIES.candles(interval(name)))).rows;

    it("offer eight intervals from a second to a day, each named for the page", () => {
        expect(CANDLE_INTERVALS.map(i => [i.name, i.seconds, i.label])).to.deep.equal([
            ["1s", 1, "1-second"],
            ["5s", 5, "5-second"],
            ["15s", 15, "15-second"],
            ["1min", 60, "1-minute"],
            ["5min", 300, "5-minute"],
            ["15min", 900, "15-minute"],
            ["1h", 3600, "1-hour"],
            ["1d", 86400, "1-day"],
        ]);
    });

    it("start each candle at the interval's multiple in the wall time as written, whatever the precision", async () => {
        const single = await engineWith([
            recordObject("1", { symbol: "AAPL", price: "1", timestamp: "2026-11-28 14:37:59.999999+05:30" }),
            recordObject("2", { symbol: "MSFT", price: "2", timestamp: "2026-11-28T09:05" }),
            recordObject("3", { symbol: "IBM", price: "3", timestamp: "2026-11-28" }),
        ]);
        try {
            const starts: Record<string, string[]> = {};
            for (const { name } of CANDLE_INTERVALS) starts[name] = (await candles(name, single)).map(row => row[1]!);
            // Rows come ordered by symbol: AAPL, IBM, MSFT.
            expect(starts).to.deep.equal({
                "1s": ["2026-11-28T14:37:59", "2026-11-28T00:00:00", "2026-11-28T09:05:00"],
                "5s": ["2026-11-28T14:37:55", "2026-11-28T00:00:00", "2026-11-28T09:05:00"],
                "15s": ["2026-11-28T14:37:45", "2026-11-28T00:00:00", "2026-11-28T09:05:00"],
                "1min": ["2026-11-28T14:37:00", "2026-11-28T00:00:00", "2026-11-28T09:05:00"],
                "5min": ["2026-11-28T14:35:00", "2026-11-28T00:00:00", "2026-11-28T09:05:00"],
                "15min": ["2026-11-28T14:30:00", "2026-11-28T00:00:00", "2026-11-28T09:00:00"],
                "1h": ["2026-11-28T14:00:00", "2026-11-28T00:00:00", "2026-11-28T09:00:00"],
                "1d": ["2026-11-28T00:00:00", "2026-11-28T00:00:00", "2026-11-28T00:00:00"],
            });
        } finally {
            single.close();
        }
    });

    it("make candles as ohlc-minute does: open and close by time then sequence, a replaced tick left out", async () => {
        expect((await candles("15s")).filter(row => row[0] === "AAPL")).to.deep.equal([
            ["AAPL", "2026-11-28T14:30:00", d("100"), d("100"), d("100"), d("100"), "1"],
            ["AAPL", "2026-11-28T14:30:45", d("101"), d("102"), d("101"), d("102"), "2"],
            ["AAPL", "2026-11-28T14:31:00", ...Array(4).fill("99.500000000000000000"), "1"],
            ["AAPL", "2026-11-28T14:32:00", d("5"), d("6"), d("5"), d("6"), "2"],
            ["AAPL", "2026-11-28T14:33:00", d("8"), d("8"), d("8"), d("8"), "1"],
            ["AAPL", "2026-11-29T09:00:00", d("103"), d("103"), d("103"), d("103"), "1"],
        ]);
        expect((await candles("1h")).filter(row => row[0] === "MSFT")).to.deep.equal([
            ["MSFT", "2026-11-28T14:00:00", d("10"), d("12"), d("10"), d("12"), "3"],
            ["MSFT", "2026-11-29T10:00:00", ...Array(4).fill("415.123456789012345679"), "1"],
        ]);
    });

    it("give each symbol its ticks, each record once, and its first and last wall time", async () => {
        expect((await engine.query(REPORT_QUERIES.symbolSpans)).rows).to.deep.equal([
            ["AAPL", "8", "2026-11-28T14:30:00.500000000", "2026-11-29T09:00:00.000000000"],
            ["MSFT", "4", "2026-11-28T14:30:00.000000000", "2026-11-29T10:00:00.000000000"],
        ]);
    });

    it("count rejected records per reason, each once, with the first two of each as samples", async () => {
        const result = await engine.query(REPORT_QUERIES.rejectedSamples);
        expect(result.columns.map(column => column.name)).to.deep.equal([
            "reason",
            "reason_count",
            "sample_number",
            "data",
            "partitionkey",
            "sequence_number",
            "subsequence_number",
        ]);
        expect(result.rows.map(row => [row[0], row[1], row[2], row[5]])).to.deep.equal([
            ["data: not valid JSON", "1", "1", "42"],
            ["price: missing", "3", "1", "40"],
            ["price: missing", "3", "2", "41"],
        ]);
    });
});
