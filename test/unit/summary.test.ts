import { expect } from "chai";
import { tickKey } from "../../pipeline/runtime/batch";
import { putRecordId } from "../../harness/local-stack/ledger";
import type { PutRecord } from "../../harness/local-stack/producer";
import { compareDecimals, EMPTY_STORE, percentile, reconcile, StoreContents } from "../../harness/local-stack/summary";

describe("the local run's arithmetic", () => {
    it("compares prices as exact decimals, beyond a double's precision", () => {
        expect(compareDecimals("415.123456789012345678901234", "415.1234567890123")).to.equal(1);
        expect(compareDecimals("185.2", "185.20")).to.equal(0);
        expect(compareDecimals("9.99", "10.0")).to.equal(-1);
        expect(compareDecimals("0.0850", "0.085")).to.equal(0);
    });

    it("takes nearest-rank percentiles", () => {
        const values = Array.from({ length: 100 }, (_, i) => i + 1);
        expect([percentile(values, 50), percentile(values, 90), percentile(values, 99)]).to.deep.equal([50, 90, 99]);
        expect(percentile([7], 99)).to.equal(7);
        expect(percentile([], 50)).to.equal(null);
    });
});

describe("the local run's reconciliation", () => {
    const SHARD = "shardId-000000000000";
    const seq = (n: number) => `4959${String(n).padStart(52, "0")}`;
    const ticks = [
        { symbol: "AAPL", timestamp: "2026-11-28T10:00:00.000001", price: "189.10" },
        { symbol: "MSFT", timestamp: "2026-11-28T10:00:00.000002", price: "415.123456789012345678901234" },
    ];
    const dataOf = (tick: (typeof ticks)[number]) =>
        Buffer.from(`{"symbol":"${tick.symbol}","price":${tick.price},"timestamp":"${tick.timestamp}"}`);
    /** Two ticks of one KPL aggregate (sequence number 1) and a malformed plain record (2). */
    const produced: PutRecord[] = [
        ...ticks.map((tick, sub) => ({
            data: dataOf(tick),
            partitionKey: tick.symbol,
            producedAt: 0,
            tick,
            sequenceNumber: seq(1),
            subSequenceNumber: sub,
            shardId: SHARD,
        })),
        {
            data: Buffer.from("{"),
            partitionKey: "AAPL",
            producedAt: 0,
            malformed: "not-json",
            sequenceNumber: seq(2),
            shardId: SHARD,
        },
    ];
    const items = ticks.map(tick => ({ ...tick, price: tick.price.replace(/0+$/, ""), day: "2026-11-28" }));
    const empty = EMPTY_STORE;

    /** The batch layout's copies of `produced`, delivered in one batch named `range` (`<first>-<last>`). */
    function batchCopies(range = `${seq(1)}-${seq(3)}`): StoreContents["copies"] {
        const key = (prefix: string) => `${prefix}/day=2026-11-28/shard=${SHARD}/${range}.ndjson.gz`;
        const line = (record: PutRecord) => ({
            sequenceNumber: record.sequenceNumber,
            ...(record.subSequenceNumber === undefined ? {} : { subSequenceNumber: String(record.subSequenceNumber) }),
            data: record.data.toString("base64"),
            ...(record.tick ?? {}),
        });
        const copies = (prefix: string, records: PutRecord[]) => ({
            objects: 1,
            copies: records.map(record => ({ id: putRecordId(record), key: key(prefix), line: line(record) })),
        });
        return {
            raw: copies("raw", produced),
            processed: copies("processed", produced.slice(0, 2)),
            rejected: copies("rejected", produced.slice(2)),
        };
    }

    it("counts every tick of an aggregate stored when its item, raw/ and processed/ lines hold it exactly", () => {
        const result = reconcile(produced, { ticks: items, copies: batchCopies() }, empty);
        expect(result).to.include({ produced: 3, stored: 2, rejected: 1, lost: 0 });
        expect(result.problems).to.deep.equal([]);
    });

    it("reads the record layout from keys ending in <sequenceNumber>-<subSequenceNumber>.json", () => {
        const objects = (prefix: string, records: PutRecord[]) => ({
            objects: records.length,
            copies: records.map(record => ({
                id: putRecordId(record),
                key: `${prefix}/x/${putRecordId(record)}.json`,
            })),
        });
        const copies = {
            raw: objects("raw", produced),
            processed: objects("processed", produced.slice(0, 2)),
            rejected: objects("rejected", produced.slice(2)),
        };
        expect(reconcile(produced, { ticks: items, copies }, empty)).to.include({ stored: 2, rejected: 1, lost: 0 });
    });

    it("finds a processed/ line whose price differs from the tick produced", () => {
        const copies = batchCopies();
        copies.processed.copies[1].line!.price = "415.1234567890123";
        const result = reconcile(produced, { ticks: items, copies }, empty);
        expect(result.lost).to.equal(1);
        expect(result.problems).to.include("1 valid records whose processed/ line differs from the tick produced");
    });

    it("finds a tick missing from raw/", () => {
        const copies = batchCopies();
        copies.raw.copies.splice(1, 1);
        const result = reconcile(produced, { ticks: items, copies }, empty);
        expect(result.lost).to.equal(1);
        expect(result.problems).to.include("1 records without their raw/ copy");
    });

    it("notes, without failing, records copied again by a redelivery of another composition", () => {
        const copies = batchCopies();
        const redelivered = batchCopies(`${seq(2)}-${seq(3)}`);
        copies.raw.copies.push(...redelivered.raw.copies.slice(2));
        copies.rejected.copies.push(...redelivered.rejected.copies);
        const result = reconcile(produced, { ticks: items, copies }, empty);
        expect(result.problems).to.deep.equal([]);
        expect(result.notes).to.deep.equal([
            "1 records copied twice under raw/ by redeliveries of another composition (readers deduplicate)",
            "1 records copied twice under rejected/ by redeliveries of another composition (readers deduplicate)",
        ]);
    });

    it("notes, without failing, a shorter redelivery from the same first record, whose objects stand beside the first", () => {
        const copies = batchCopies();
        const shorter = batchCopies(`${seq(1)}-${seq(2)}`);
        copies.raw.copies.push(...shorter.raw.copies.slice(0, 2));
        const result = reconcile(produced, { ticks: items, copies }, empty);
        expect(result.problems).to.deep.equal([]);
        expect(result.notes).to.deep.equal([
            "2 records copied twice under raw/ by redeliveries of another composition (readers deduplicate)",
        ]);
    });

    it("fails on a record copied twice in one object", () => {
        const copies = batchCopies();
        copies.processed.copies.push(copies.processed.copies[0]);
        const result = reconcile(produced, { ticks: items, copies }, empty);
        expect(result.problems).to.deep.equal(["1 records copied twice under processed/ in one object"]);
    });

    describe("with two records of one symbol and timestamp, as a CSV file may send", () => {
        const again = { ...ticks[0], price: "190.25" };
        const later: PutRecord = {
            data: dataOf(again),
            partitionKey: "AAPL",
            producedAt: 0,
            tick: again,
            sequenceNumber: seq(3),
            shardId: SHARD,
        };
        const records = [...produced, later];
        const copies = () => {
            const all = batchCopies();
            const more = batchCopies(`${seq(3)}-${seq(3)}`);
            const line = {
                ...more.raw.copies[0],
                id: putRecordId(later),
                line: { data: later.data.toString("base64") },
            };
            all.raw.copies.push(line);
            all.processed.copies.push({ ...line, line: { ...again } });
            return all;
        };
        const latestWins = [{ ...items[0], price: "190.25" }, items[1]];

        it("counts both stored when the item holds the later one's price (latest wins), and the table one item richer", () => {
            const result = reconcile(records, { ticks: latestWins, copies: copies() }, empty);
            expect(result).to.include({ produced: 4, stored: 3, rejected: 1, lost: 0 });
            expect(result.problems).to.deep.equal([]);
            expect(result.symbols.map(s => [s.symbol, s.count, s.last])).to.deep.equal([
                ["AAPL", 1, "190.25"],
                ["MSFT", 1, "415.123456789012345678901234"],
            ]);
        });

        it("finds the later one missing when the item still holds the earlier price", () => {
            const result = reconcile(records, { ticks: items, copies: copies() }, empty);
            expect(result).to.include({ stored: 2, lost: 1 });
            expect(result.problems).to.include(
                "1 valid records without their item (with the exact price) in the table",
            );
        });

        it("expects no new item for a key the table held before the run: it is overwritten", () => {
            const before = { ...empty, tableItems: 2 };
            const keysBefore = new Set(items.map(tickKey));
            const result = reconcile(records, { ticks: latestWins, copies: copies() }, before, [], keysBefore);
            expect(result.problems).to.deep.equal([]);
            expect(reconcile(records, { ticks: latestWins, copies: copies() }, before).problems).to.deep.equal([
                "the store gained 0 table items, expected 2",
            ]);
        });
    });

    it("fails when the store grew by more items than this run's valid records", () => {
        const extra = { symbol: "IBM", timestamp: "2026-11-28", price: "1", day: "2026-11-28" };
        const result = reconcile(produced, { ticks: [...items, extra], copies: batchCopies() }, empty);
        expect(result.problems).to.deep.equal(["the store gained 3 table items, expected 2"]);
    });
});
