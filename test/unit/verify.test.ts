import { gzipSync } from "zlib";
import { expect } from "chai";
import { decodeTick } from "../../pipeline/runtime/tick";
import { canarySymbol, makeCanaries, newRunId } from "../../harness/verify/canary";
import { isCanarySymbol } from "../../pipeline/schema";
import { candidateBatchKeys, CanaryStore, CanaryItems, CanaryObjects, PutCanary } from "../../harness/verify/store";

const seq = (n: number) => `4965${String(n).padStart(52, "0")}`;
const NOW = Date.UTC(2026, 10, 28, 14, 30);

describe("canary ticks (npm run verify)", () => {
    it("are valid under the processing contract, under the reserved symbol, with distinct keys and exact prices", () => {
        const canaries = makeCanaries(newRunId(NOW), 5, NOW);
        for (const canary of canaries) {
            const decoded = decodeTick(canary.data);
            expect(decoded.valid, canary.data.toString()).to.equal(true);
            expect(isCanarySymbol(canary.tick.symbol)).to.equal(true);
            expect(canary.tick.symbol.length).to.be.at.most(32);
        }
        expect(canaries.map(canary => canary.tick.price)).to.deep.equal([
            "1.0001",
            "1.0002",
            "1.0003",
            "1.0004",
            "1.0005",
        ]);
        expect(new Set(canaries.map(canary => canary.tick.timestamp)).size).to.equal(5);
        expect(canaries[0].tick.day).to.equal("2026-11-28");
    });

    it("refuse a run id that would make the symbol invalid or longer than 32 characters", () => {
        expect(canarySymbol("RUN-1")).to.equal("ZZCANARY-RUN-1");
        expect(() => canarySymbol("X".repeat(24))).to.throw(/at most 32/);
        expect(() => canarySymbol("a/b")).to.throw(/letters, digits/);
    });
});

/** An in-memory bucket. */
function fakeBucket(objects: Record<string, Buffer>): CanaryObjects & { deleted: string[]; lists: number } {
    const bucket = {
        deleted: [] as string[],
        lists: 0,
        get: async (key: string) => objects[key],
        list: async (prefix: string, marker: string | undefined) => {
            bucket.lists++;
            const keys = Object.keys(objects)
                .filter(key => key.startsWith(prefix) && (marker === undefined || key > marker))
                .sort();
            return { keys: keys.slice(0, 2), truncated: keys.length > 2 };
        },
        delete: async (key: string) => {
            bucket.deleted.push(key);
            delete objects[key];
        },
    };
    return bucket;
}

const noItems: CanaryItems = { price: async () => undefined, delete: async () => undefined };

function putCanary(n: number): PutCanary {
    const [canary] = makeCanaries("T1", 1, NOW + n);
    return { ...canary, sequenceNumber: seq(n), shardId: "shardId-000000000001", sentAt: NOW, answeredAt: NOW + 20 };
}

const ndjsonGz = (lines: object[]) => gzipSync(lines.map(line => JSON.stringify(line)).join("\n") + "\n");

describe("finding a canary in the batch object layout", () => {
    const prefix = "raw/arrival_day=2026-11-28/shard=shardId-000000000001/";

    it("lists from just below the sequence number and returns the nearest batch objects first", async () => {
        const bucket = fakeBucket(
            Object.fromEntries(
                [10, 200, 350, 360, 900].map(first => [`${prefix}${seq(first)}.ndjson.gz`, Buffer.alloc(0)]),
            ),
        );
        const keys = await candidateBatchKeys(bucket, prefix, seq(365));
        expect(keys).to.deep.equal([360, 350, 200].map(first => `${prefix}${seq(first)}.ndjson.gz`));
    });

    it("returns only the objects whose range holds the sequence number, and older keys named by their first record", async () => {
        const range = (first: number, last: number) => `${prefix}${seq(first)}-${seq(last)}.ndjson.gz`;
        const keys = [range(10, 199), range(200, 349), range(350, 364), `${prefix}${seq(355)}.ndjson.gz`];
        keys.push(range(360, 370), range(365, 400), range(900, 950));
        const bucket = fakeBucket(Object.fromEntries(keys.map(key => [key, Buffer.alloc(0)])));
        expect(await candidateBatchKeys(bucket, prefix, seq(365))).to.deep.equal([
            range(365, 400),
            range(360, 370),
            `${prefix}${seq(355)}.ndjson.gz`,
        ]);
    });

    it("finds the canary's line in a gzipped NDJSON object, and knows whether the object holds only canaries", async () => {
        const canary = putCanary(365);
        const rawLine = (n: number, data: Buffer) => ({
            sequenceNumber: seq(n),
            partitionKey: "k",
            approximateArrivalTimestamp: NOW / 1000,
            data: data.toString("base64"),
        });
        const shared = `${prefix}${seq(360)}.ndjson.gz`;
        const bucket = fakeBucket({
            [shared]: ndjsonGz([rawLine(360, Buffer.from("other")), rawLine(365, canary.data)]),
            [`processed/day=2026-11-28/shard=shardId-000000000001/${seq(365)}.ndjson.gz`]: ndjsonGz([
                { ...canary.tick, sequenceNumber: seq(365), shardId: canary.shardId },
            ]),
        });
        const store = new CanaryStore(bucket, noItems, new Set([seq(365)]));
        expect(await store.findRaw(canary)).to.deep.equal({ key: shared, layout: "batch", onlyCanaries: false });
        expect(await store.findProcessed(canary)).to.deep.equal({
            key: `processed/day=2026-11-28/shard=shardId-000000000001/${seq(365)}.ndjson.gz`,
            layout: "batch",
            onlyCanaries: true,
        });
    });

    it("finds the record layout's objects by their exact keys and bytes", async () => {
        const canary = putCanary(7);
        const bucket = fakeBucket({
            [`raw/arrival_day=2026-11-28/shard=shardId-000000000001/${seq(7)}.json`]: canary.data,
            [`processed/day=2026-11-28/symbol=${canary.tick.symbol}/${seq(7)}.json`]: Buffer.from(
                JSON.stringify({ ...canary.tick, price: Number(canary.tick.price) }),
            ),
        });
        const store = new CanaryStore(bucket, noItems, new Set([seq(7)]));
        expect(await store.findRaw(canary)).to.include({ layout: "record" });
        expect(await store.findProcessed(canary)).to.include({ layout: "record" });
        expect(bucket.lists, "no listing needed").to.equal(0);
    });

    it("does not take another record's raw object for the canary's", async () => {
        const canary = putCanary(7);
        const bucket = fakeBucket({
            [`raw/arrival_day=2026-11-28/shard=shardId-000000000001/${seq(7)}.json`]: Buffer.from("something else"),
        });
        expect(await new CanaryStore(bucket, noItems, new Set()).findRaw(canary)).to.equal(undefined);
    });

    it("checks the item's price as an exact decimal", async () => {
        const canary = putCanary(7);
        const items = (price: string): CanaryItems => ({ price: async () => price, delete: async () => undefined });
        expect(await new CanaryStore(fakeBucket({}), items("1.00010"), new Set()).hasItem(canary)).to.equal(true);
        expect(await new CanaryStore(fakeBucket({}), items("1.0002"), new Set()).hasItem(canary)).to.equal(false);
    });
});
