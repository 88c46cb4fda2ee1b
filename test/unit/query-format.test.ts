import { expect } from "chai";
import type { QueryResult } from "../../harness/query/engine";
import { trimDecimalZeros } from "../../harness/query/decimal";
import { formatResult } from "../../harness/query/format";

const RESULT: QueryResult = {
    columns: [
        { name: "symbol", kind: "string" },
        { name: "price", kind: "decimal" },
        { name: "tick_count", kind: "integer" },
    ],
    rows: [
        ["AAPL", "415.123456789012345679", "2"],
        ['BRK,B "x"', null, "12345678901234567890"],
        ["MSFT", "189.290000000000000000", "1"],
        ["^GSPC", "5300.000000000000000000", "1"],
    ],
};

describe("query output", () => {
    it("as a table: aligned columns, numbers to the right, decimals without padding zeros, NULL spelled out, a row count", () => {
        expect(formatResult(RESULT, "table")).to.equal(
            [
                "symbol                      price            tick_count",
                "---------  ----------------------  --------------------",
                "AAPL       415.123456789012345679                     2",
                'BRK,B "x"                    NULL  12345678901234567890',
                "MSFT                       189.29                     1",
                "^GSPC                        5300                     1",
                "(4 rows)",
            ].join("\n"),
        );
    });

    it("as CSV: a header, quoted fields where needed, decimals without padding zeros, NULL as an empty field", () => {
        expect(formatResult(RESULT, "csv")).to.equal(
            [
                "symbol,price,tick_count",
                "AAPL,415.123456789012345679,2",
                '"BRK,B ""x""",,12345678901234567890',
                "MSFT,189.29,1",
                "^GSPC,5300,1",
            ].join("\r\n"),
        );
    });

    it("as JSON: decimals as exact strings without padding zeros, integers as numbers unless too large for one", () => {
        expect(JSON.parse(formatResult(RESULT, "json"))).to.deep.equal([
            { symbol: "AAPL", price: "415.123456789012345679", tick_count: 2 },
            { symbol: 'BRK,B "x"', price: null, tick_count: "12345678901234567890" },
            { symbol: "MSFT", price: "189.29", tick_count: 1 },
            { symbol: "^GSPC", price: "5300", tick_count: 1 },
        ]);
    });

    it("drops only zeros past the value: the digits printed are the decimal's, never rounded", () => {
        const cases: [string, string][] = [
            ["189.290000000000000000", "189.29"],
            ["0.000000000000000001", "0.000000000000000001"],
            ["100.000000000000000000", "100"],
            ["-0.500000000000000000", "-0.5"],
            ["0.000000000000000000", "0"],
            ["12345678901234567890.123456789012345678", "12345678901234567890.123456789012345678"],
        ];
        for (const [text, printed] of cases) expect(trimDecimalZeros(text), text).to.equal(printed);
    });
});
