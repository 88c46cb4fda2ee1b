import { expect } from "chai";
import { itemSize, writeUnitsOf } from "../../harness/sink/write-units";

describe("the sink's DynamoDB write units", () => {
    it("sizes an item as DynamoDB documents it: names and strings in UTF-8, numbers by significant digits", () => {
        // "symbol"+"AAPL" = 10, "price" + 189.12 (5 digits: 3 bytes + 1) = 9, "café"+"é" = 5 + 2.
        expect(itemSize({ symbol: { S: "AAPL" }, price: { N: "189.12" }, café: { S: "é" } })).to.equal(10 + 9 + 7);
        expect(itemSize({ n: { N: "0.00120" } })).to.equal(1 + 2); // "12": leading and trailing zeros trimmed
        expect(itemSize({ ok: { BOOL: true }, list: { L: [{ S: "ab" }, { N: "1" }] } })).to.equal(3 + 4 + 3 + 3 + 3);
    });

    it("counts one unit per KB of each item a BatchWriteItem puts, rounded up", () => {
        const tick = {
            symbol: { S: "AAPL" },
            timestamp: { S: "2026-11-28T14:30:00.000001" },
            price: { N: "189.12" },
            day: { S: "2026-11-28" },
        };
        const big = { symbol: { S: "X" }, blob: { S: "x".repeat(2000) } };
        const body = { RequestItems: { t: [{ PutRequest: { Item: tick } }, { PutRequest: { Item: big } }] } };
        expect(writeUnitsOf("BatchWriteItem", body)).to.deep.equal({ items: 2, writeUnits: 1 + 2 });
        expect(writeUnitsOf("PutItem", { TableName: "t", Item: tick })).to.deep.equal({ items: 1, writeUnits: 1 });
    });

    it("counts nothing for an operation that writes no item", () => {
        expect(writeUnitsOf("DescribeTable", { TableName: "t" })).to.deep.equal({ items: 0, writeUnits: 0 });
    });
});
