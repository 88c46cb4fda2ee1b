import { expect } from "chai";
import type { QueryResult } from "../../harness/query/engine";
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
    ],
};

describe("query output", () => {
    it("as a table: aligned columns, numbers to the right, NULL spelled out, a row count", () => {
        expect(formatResult(RESULT, "table")).to.equal(
            [
                "symbol                      price            tick_count",
                "---------  ----------------------  --------------------",
                "AAPL       415.123456789012345679                     2",
                'BRK,B "x"                    NULL  12345678901234567890',
                "(2 rows)",
            ].join("\n"),
        );
    });

    it("as CSV: a header, quoted fields where needed, NULL as an empty field", () => {
        expect(formatResult(RESULT, "csv")).to.equal(
            ["symbol,price,tick_count", "AAPL,415.123456789012345679,2", '"BRK,B ""x""",,12345678901234567890'].join(
                "\r\n",
            ),
        );
    });

    it("as JSON: decimals as exact strings, integers as numbers unless too large for one", () => {
        expect(JSON.parse(formatResult(RESULT, "json"))).to.deep.equal([
            { symbol: "AAPL", price: "415.123456789012345679", tick_count: 2 },
            { symbol: 'BRK,B "x"', price: null, tick_count: "12345678901234567890" },
        ]);
    });
});
