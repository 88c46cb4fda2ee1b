// The shared SQL as data: what Athena's named queries and the local engine both run.
import { expect } from "chai";
import {
    athenaDescription,
    athenaExecutionParameters,
    bindParameters,
    CANDLE_INTERVALS,
    findNamedQuery,
    NAMED_QUERIES,
    REPORT_QUERIES,
} from "../../pipeline/analytics/queries";
import { GLUE_TABLES, projectionParameters, TICKS_TABLE } from "../../pipeline/analytics/tables";

/**
 * Functions checked to exist, with the same meaning, in Trino (Athena engine v3) and DuckDB; a new
 * one must be checked in both before it joins this list.
 */
const PORTABLE_FUNCTIONS = [
    "coalesce",
    "nullif",
    "regexp_extract",
    "substr",
    "rpad",
    // Trino lpad(string, size, padstring) and DuckDB lpad(string, count, character): pad, or cut, to size.
    "lpad",
    "length",
    "CAST",
    "row_number",
    "count",
    "max",
    "min",
];

/** The SQL without its string literals, whose regular expressions hold `?` and parentheses of their own. */
const withoutLiterals = (sql: string) => sql.replace(/'(?:[^']|'')*'/g, "''");

describe("the named queries", () => {
    it("are the five the issue names, each described", () => {
        expect(NAMED_QUERIES.map(query => query.name)).to.deep.equal([
            "latest-price",
            "ohlc-minute",
            "ohlc-day",
            "ticks-per-day",
            "rejected-per-day",
        ]);
        for (const query of NAMED_QUERIES) expect(query.description).to.match(/\.$/);
    });

    for (const query of NAMED_QUERIES) {
        describe(query.name, () => {
            it("has one ? placeholder per declared parameter, each in a WHERE clause (Athena allows them nowhere else)", () => {
                const sql = withoutLiterals(query.sql);
                expect(sql.split("?").length - 1).to.equal(query.parameters.length);
                expect(
                    sql
                        .split("\n")
                        .filter(line => line.includes("?"))
                        .every(line => /^\s*WHERE\b/.test(line)),
                ).to.equal(true);
            });

            it("calls only functions both engines define alike", () => {
                const called = [...withoutLiterals(query.sql).matchAll(/\b([A-Za-z_]+)\(/g)].map(match => match[1]);
                expect(called).to.include("row_number");
                expect(called.filter(name => !PORTABLE_FUNCTIONS.includes(name))).to.deep.equal([]);
            });

            it("deduplicates on the record identity, reading the record layout's from $path", () => {
                expect(query.sql).to.include("PARTITION BY sequence_number, subsequence_number");
                expect(query.sql).to.include(`regexp_extract("$path", '/([0-9]+)(-[0-9]+)?[.]json$', 1)`);
            });
        });
    }

    describe("the report's queries", () => {
        const reportQueries: [string, string][] = [
            ...CANDLE_INTERVALS.map((interval): [string, string] => [
                `candles ${interval.name}`,
                REPORT_QUERIES.candles(interval),
            ]),
            ["symbolSpans", REPORT_QUERIES.symbolSpans],
            ["rejectedSamples", REPORT_QUERIES.rejectedSamples],
        ];
        for (const [name, sql] of reportQueries) {
            it(`${name} follows the same rules: portable functions, no parameter, no division, each record once`, () => {
                const bare = withoutLiterals(sql);
                const called = [...bare.matchAll(/\b([A-Za-z_]+)\(/g)].map(match => match[1]);
                expect(called.filter(fn => !PORTABLE_FUNCTIONS.includes(fn))).to.deep.equal([]);
                expect(bare).to.not.include("?");
                expect(bare).to.not.match(/[^*]\/[^*]/);
                expect(sql).to.include("PARTITION BY sequence_number, subsequence_number");
            });
        }
    });

    describe("parameters", () => {
        const ohlcMinute = findNamedQuery("ohlc-minute")!;

        it("bind in the order of the placeholders", () => {
            expect(bindParameters(ohlcMinute, { day: "2026-11-28" })).to.deep.equal(["2026-11-28"]);
            expect(bindParameters(findNamedQuery("latest-price")!, {})).to.deep.equal([]);
        });

        it("refuse a missing, unknown or malformed one with a message naming it", () => {
            expect(() => bindParameters(ohlcMinute, {})).to.throw(
                "ohlc-minute: missing parameter day (tick day, YYYY-MM-DD as written in the timestamps, e.g. day=2026-11-28)",
            );
            expect(() => bindParameters(ohlcMinute, { day: "2026-11-28", symbol: "AAPL" })).to.throw(
                "ohlc-minute: unknown parameter symbol (it takes day)",
            );
            expect(() => bindParameters(ohlcMinute, { day: "2026-13-01" })).to.throw(
                'ohlc-minute: day must be tick day, YYYY-MM-DD as written in the timestamps, got "2026-13-01"',
            );
            expect(() => bindParameters(findNamedQuery("ohlc-day")!, { day: "2026-11-28" })).to.throw(
                "ohlc-day: unknown parameter day (it takes none)",
            );
        });

        it("go to Athena as SQL string literals, quotes doubled", () => {
            expect(athenaExecutionParameters(["2026-11-28", "it's"])).to.deep.equal(["'2026-11-28'", "'it''s'"]);
        });

        it("are described for the Athena console, in order, with an example", () => {
            expect(athenaDescription(ohlcMinute)).to.match(
                / Parameters, in order: day \('2026-11-28': tick day, YYYY-MM-DD as written in the timestamps\)\.$/,
            );
            expect(athenaDescription(findNamedQuery("latest-price")!)).to.equal(
                findNamedQuery("latest-price")!.description,
            );
        });
    });
});

describe("the Glue tables", () => {
    it("name their columns in lower case, as Glue stores them, the partition key apart", () => {
        for (const table of GLUE_TABLES) {
            const names = [...table.columns, table.partitionKey].map(column => column.name);
            expect(names.every(name => name === name.toLowerCase())).to.equal(true);
            expect(new Set(names).size).to.equal(names.length);
        }
        expect(TICKS_TABLE.columns.find(column => column.name === "price")!.type).to.equal("decimal(38,18)");
    });

    it("project the day partition onto the prefix, so no crawler or MSCK REPAIR is needed", () => {
        expect(projectionParameters(TICKS_TABLE, "stock-market-data-abc", "2026-01-01")).to.deep.equal({
            classification: "json",
            "projection.enabled": "true",
            "projection.day.type": "date",
            "projection.day.format": "yyyy-MM-dd",
            "projection.day.range": "2026-01-01,NOW+1DAYS",
            "projection.day.interval": "1",
            "projection.day.interval.unit": "DAYS",
            "storage.location.template": "s3://stock-market-data-abc/processed/day=${day}/",
        });
    });
});
