// The KPL aggregate decoder against the processing contract's "Aggregated records".
import { createHash } from "crypto";
import { expect } from "chai";
import { deaggregate, isAggregate } from "../../pipeline/runtime/kpl";
import { aggregateRecords, encodeAggregatedRecord, frameAggregate, KPL_MAGIC } from "../../harness/aws/kpl";

const md5 = (bytes: Uint8Array) => createHash("md5").update(bytes).digest();
const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");

describe("KPL aggregates", () => {
    it("are recognised by the magic bytes F3 89 9A C2 and nothing else", () => {
        expect(isAggregate(aggregateRecords([{ partitionKey: "AAPL", data: "{}" }]))).to.equal(true);
        expect(isAggregate(Buffer.from('{"symbol":"AAPL"}'))).to.equal(false);
        expect(isAggregate(KPL_MAGIC.subarray(0, 3))).to.equal(false);
        expect(isAggregate(Buffer.alloc(0))).to.equal(false);
    });

    it("are written in the KPL's wire format, byte for byte", () => {
        // AggregatedRecord { partition_key_table: ["a"], records: [{ partition_key_index: 0, data: "x" }] },
        // encoded by hand from the message definitions: field 1 (0a) "a", field 3 (1a) { 08 00, 1a 01 "x" }.
        const message = hex("0a 01 61   1a 05 08 00 1a 01 78");
        expect(Buffer.from(encodeAggregatedRecord([{ partitionKey: "a", data: "x" }]))).to.deep.equal(message);
        expect(aggregateRecords([{ partitionKey: "a", data: "x" }])).to.deep.equal(
            Buffer.concat([hex("f3899ac2"), message, md5(message)]),
        );
    });

    it("unpack into their user records, in order, each with its own partition key and exact bytes", () => {
        const binary = Buffer.from([0x00, 0xff, 0x0a, 0xf3, 0x89]);
        const result = deaggregate(
            aggregateRecords([
                { partitionKey: "AAPL", data: '{"symbol":"AAPL"}' },
                { partitionKey: "MSFT", data: binary, explicitHashKey: "340282366920938463463374607431768211455" },
                { partitionKey: "AAPL", data: "" },
            ]),
        );
        expect(result).to.deep.equal({
            ok: true,
            records: [
                { partitionKey: "AAPL", data: Buffer.from('{"symbol":"AAPL"}') },
                { partitionKey: "MSFT", data: binary },
                { partitionKey: "AAPL", data: Buffer.alloc(0) },
            ],
        });
    });

    it("skip the explicit hash keys, which only chose the aggregate's shard, whatever their index", () => {
        // explicit_hash_key_table ["1"] (field 2), and a record pointing at entry 5 of it (field 2 of the record).
        const message = hex("0a 01 61   12 01 31   1a 07 08 00 10 05 1a 01 78");
        expect(deaggregate(frameAggregate(message))).to.deep.equal({
            ok: true,
            records: [{ partitionKey: "a", data: Buffer.from("x") }],
        });
    });

    it("skip fields they do not need, such as tags", () => {
        // One record with a tag { key: "k" } (field 4) before its data.
        const message = hex("0a 01 61   1a 0a 08 00 22 03 0a 01 6b 1a 01 78");
        expect(deaggregate(frameAggregate(message))).to.deep.equal({
            ok: true,
            records: [{ partitionKey: "a", data: Buffer.from("x") }],
        });
    });

    const untrusted: [string, Buffer, RegExp][] = [
        [
            "a wrong MD5",
            (() => {
                const data = aggregateRecords([{ partitionKey: "a", data: "x" }]);
                data[data.length - 1] ^= 0xff;
                return data;
            })(),
            /^aggregate: MD5 does not match/,
        ],
        [
            "a changed byte in the message",
            (() => {
                const data = aggregateRecords([{ partitionKey: "a", data: "x" }]);
                data[KPL_MAGIC.length + 2] ^= 0x01;
                return data;
            })(),
            /^aggregate: MD5 does not match/,
        ],
        ["no room for an MD5", Buffer.concat([KPL_MAGIC, hex("0a01")]), /^aggregate: 6 bytes, too short/],
        ["a truncated protobuf (with its MD5)", frameAggregate(hex("0a 05 61")), /^aggregate: /],
        ["a field of the wrong wire type", frameAggregate(hex("08 01")), /^aggregate: field 1 has wire type 0/],
        ["no user records", frameAggregate(hex("0a 01 61")), /^aggregate: no user records$/],
        [
            "a partition key index outside the table",
            frameAggregate(hex("0a 01 61   1a 05 08 02 1a 01 78")),
            /^aggregate: record 0: partition_key_index 2 outside the table of 1$/,
        ],
        ["a record without data", frameAggregate(hex("0a 01 61   1a 02 08 00")), /^aggregate: record 0: no data$/],
        [
            "a record without a partition key index",
            frameAggregate(hex("0a 01 61   1a 03 1a 01 78")),
            /^aggregate: record 0: no partition_key_index$/,
        ],
        ["a partition key that is not UTF-8", frameAggregate(hex("0a 01 ff   1a 05 08 00 1a 01 78")), /^aggregate: /],
    ];
    for (const [what, data, reason] of untrusted) {
        it(`are refused whole, with a reason starting "aggregate:", for ${what}`, () => {
            const result = deaggregate(data);
            expect(result.ok).to.equal(false);
            expect(!result.ok && result.reason).to.match(reason);
        });
    }
});
