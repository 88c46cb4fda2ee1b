// The live report (npm run local -- --live) reads the bucket and rebuilds its data only while a
// page asks for it: a run nobody watches leaves the CPU to the emulators and the function.
import { setTimeout as sleep } from "timers/promises";
import { expect } from "chai";
import { RunTimeline } from "../../harness/local-stack/timeline";
import type { ObjectStore } from "../../harness/query/sources";
import { LiveReport } from "../../harness/report/live";
import { waitUntil } from "../support/wait";

/** A bucket in memory that counts how often it is listed. */
class MemoryStore implements ObjectStore {
    readonly bucket = "live-test";
    private readonly objects = new Map<string, Buffer>();
    listings = 0;

    put(symbol: string, seq: string, price: string, timestamp: string): void {
        const key = `processed/day=${timestamp.slice(0, 10)}/symbol=${symbol}/${seq}.json`;
        const json = { symbol, price: Number(price), timestamp, day: timestamp.slice(0, 10) };
        this.objects.set(key, Buffer.from(JSON.stringify(json)));
    }

    async listKeys(prefix: string): Promise<string[]> {
        this.listings++;
        return [...this.objects.keys()].filter(key => key.startsWith(prefix)).sort();
    }

    async read(key: string): Promise<Buffer> {
        return this.objects.get(key)!;
    }
}

describe("the live report", () => {
    const TIMING = { refreshMs: 10, watchedMs: 100 };
    let store: MemoryStore;
    let live: LiveReport;

    beforeEach(async () => {
        store = new MemoryStore();
        store.put("AAPL", "1", "189.12", "2026-11-28T14:30:00Z");
        live = await LiveReport.open("memory", () => {}, TIMING);
        live.follow(store, new RunTimeline());
    });
    afterEach(() => live.close());

    it("reads nothing from the bucket and builds nothing while no page asks", async () => {
        await sleep(10 * TIMING.refreshMs);
        expect(store.listings).to.equal(0);
        expect(live.report().symbols).to.deep.equal([]);
    });

    it("catches up within a refresh once the page asks, and keeps up while it keeps asking", async () => {
        live.state();
        await waitUntil(() => live.report().symbols.length === 1, "AAPL on the page");
        expect(live.report().days).to.deep.equal(["2026-11-28"]);
        store.put("MSFT", "2", "420.5", "2026-11-29T14:30:01Z");
        await waitUntil(() => {
            live.state();
            return live.report().symbols.length === 2;
        }, "MSFT on the page");
        expect(live.report().days).to.deep.equal(["2026-11-28", "2026-11-29"]);
        expect(live.state().reportVersion).to.equal(2);
    });

    it("stops reading the bucket once the page has not asked for a while", async () => {
        live.report();
        await waitUntil(() => live.report().symbols.length === 1, "AAPL on the page");
        await sleep(TIMING.watchedMs + 20 * TIMING.refreshMs);
        const listings = store.listings;
        await sleep(20 * TIMING.refreshMs);
        expect(store.listings).to.equal(listings);
    });

    it("builds the final state when the run finishes, though no page asked", async () => {
        store.put("MSFT", "2", "420.5", "2026-11-28T14:30:01Z");
        await live.finish([{ label: "seed", value: "7" }]);
        expect(live.report().symbols.map(s => s.symbol)).to.deep.equal(["AAPL", "MSFT"]);
        expect(live.page().facts).to.deep.equal([{ label: "seed", value: "7" }]);
    });
});
