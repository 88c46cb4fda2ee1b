import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { findChromium } from "../../harness/browser/chromium";
import {
    chooseInterval,
    offeredIntervals,
    priceText,
    reasonKind,
    ReportData,
    wallSeconds,
} from "../../harness/report/data";
import { renderReport } from "../../harness/report/html";
import { PAGE_SCRIPT } from "../../harness/report/page-script";
import type { RunState } from "../../harness/local-stack/timeline";

const candle = (time: string, open: string, high: string, low: string, close: string, ticks: number) => ({
    time,
    open,
    high,
    low,
    close,
    ticks,
});

const DATA: ReportData = {
    days: ["2026-11-28"],
    intervals: [
        { name: "1s", label: "1-second", seconds: 1 },
        { name: "5s", label: "5-second", seconds: 5 },
    ],
    interval: "1s",
    symbols: [
        {
            symbol: "AAPL",
            ticks: 2,
            firstTime: "2026-11-28T14:30:00.000000000",
            lastTime: "2026-11-28T14:30:01.000000000",
            lastPrice: "189.50",
            lastTimestamp: "2026-11-28T14:30:01Z",
            candles: {
                "1s": [
                    candle("2026-11-28T14:30:00", "189.12", "189.12", "189.12", "189.12", 1),
                    candle("2026-11-28T14:30:01", "189.50", "189.50", "189.50", "189.50", 1),
                ],
                "5s": [candle("2026-11-28T14:30:00", "189.12", "189.50", "189.12", "189.50", 2)],
            },
        },
        {
            symbol: "</script><b>",
            ticks: 1,
            firstTime: "2026-11-28T00:00:00.000000000",
            lastTime: "2026-11-28T00:00:00.000000000",
            lastPrice: "1.00",
            lastTimestamp: "2026-11-28",
            candles: { "1s": [candle("2026-11-28T00:00:00", "1.00", "1.00", "1.00", "1.00", 1)], "5s": [] },
        },
    ],
    rejected: {
        total: 1,
        reasons: [
            {
                reason: "price: missing",
                count: 1,
                samples: [
                    {
                        reason: "price: missing",
                        data: '{"symbol":"AAPL"}<!--',
                        encoding: "utf8",
                        partitionKey: "AAPL",
                        sequenceNumber: "1",
                    },
                ],
            },
        ],
    },
};

const RUN: RunState = {
    status: "finished",
    elapsedSeconds: 10.2,
    produced: 3,
    stored: 2,
    rejected: 1,
    inFlight: 0,
    failedToDestination: 0,
    timeline: [
        { at: 1795876201, produced: 3, stored: 2, rejected: 1, latencyP50Ms: 500, latencyP99Ms: 900, iteratorAgeMs: 0 },
    ],
};

const page = (data: ReportData = DATA) =>
    renderReport({
        data,
        source: "s3://bucket (S3 API)",
        generatedAt: new Date("2026-11-28T15:00:00Z"),
        facts: [{ label: "throughput", value: "100.0 records/s over 10.0 s" }],
        run: RUN,
    });

const embedded = (html: string) =>
    JSON.parse(/<script type="application\/json" id="page-data">(.*?)<\/script>/s.exec(html)![1]);

describe("the report page", () => {
    it("inlines the chart library, its script and the data: no script or style is loaded from elsewhere", () => {
        const html = page();
        expect(html).to.include("TradingView Lightweight Charts™ v5");
        expect(html).to.include(PAGE_SCRIPT);
        expect(html).to.not.match(/<script[^>]+src=/);
        expect(html).to.not.match(/<link[^>]+href=/);
        // The only address is the attribution link the library's licence asks for.
        expect([...html.matchAll(/href="([^"]+)"/g)].map(m => m[1])).to.deep.equal(["https://www.tradingview.com/"]);
    });

    it("embeds the report, the run and its facts inside the script element, whatever the data holds", () => {
        const state = embedded(page());
        expect(state.report).to.deep.equal(DATA);
        expect(state.run).to.deep.equal(RUN);
        expect(state.facts).to.deep.equal([{ label: "throughput", value: "100.0 records/s over 10.0 s" }]);
        expect(state).to.include({
            source: "s3://bucket (S3 API)",
            generatedAt: "2026-11-28T15:00:00.000Z",
            live: false,
        });
    });

    it("polls only when served live: a written page asks for nothing", () => {
        expect(embedded(page()).live).to.equal(false);
        const live = renderReport({
            data: DATA,
            source: "s",
            generatedAt: new Date(),
            live: { pollMs: 500, reportVersion: 3 },
        });
        expect(embedded(live))
            .to.include({ reportVersion: 3 })
            .and.deep.include({ live: { pollMs: 500 } });
    });

    it("writes prices with the digits that carry value and at least two decimals", () => {
        expect(priceText("189.120000000000000000")).to.equal("189.12");
        expect(priceText("190.000000000000000000")).to.equal("190.00");
        expect(priceText("415.123456789012345679")).to.equal("415.123456789012345679");
        expect(priceText("1.087500000000000000")).to.equal("1.0875");
    });
});

describe("the report's candle interval", () => {
    const names = (intervals: { name: string }[]) => intervals.map(i => i.name);

    it("offers the intervals from the shortest with at most 2,000 candles to the first that holds the span in one", () => {
        expect(names(offeredIntervals("2026-11-28T14:30:00.1", "2026-11-28T14:30:10.1"))).to.deep.equal([
            "1s",
            "5s",
            "15s",
        ]);
        expect(names(offeredIntervals("2026-11-28T14:30:55.1", "2026-11-28T14:31:05.1"))).to.deep.equal([
            "1s",
            "5s",
            "15s",
            "1min",
            "5min",
        ]);
        // A trading day of ticks: 23,400 one-second candles are too many to embed.
        expect(names(offeredIntervals("2026-11-28T09:30:00", "2026-11-28T16:00:00"))).to.deep.equal([
            "15s",
            "1min",
            "5min",
            "15min",
            "1h",
            "1d",
        ]);
        // Ten years of daily bars: 1 day all the same.
        expect(names(offeredIntervals("2016-01-04T00:00:00", "2025-12-31T00:00:00"))).to.deep.equal(["1d"]);
    });

    it("opens with 30 to 120 candles where the ticks allow, else the nearest", () => {
        const counts = (...pairs: [string, number][]) => pairs.map(([name, candles]) => ({ name, candles }));
        // A 10-second run: 11 one-second candles is as near to 30 as it gets.
        expect(chooseInterval(counts(["1s", 11], ["5s", 3], ["15s", 1]))).to.equal("1s");
        // Three minutes of ticks: 37 five-second candles.
        expect(chooseInterval(counts(["1s", 181], ["5s", 37], ["15s", 13], ["1min", 4]))).to.equal("5s");
        // 121 hours: 121 one-hour candles are nearer than 6 daily ones.
        expect(chooseInterval(counts(["1h", 121], ["1d", 6]))).to.equal("1h");
        // A year of daily bars: too many, but there is nothing longer.
        expect(chooseInterval(counts(["1d", 252]))).to.equal("1d");
        // Sparse ticks, one per candle either way: the longer interval.
        expect(chooseInterval(counts(["1s", 13], ["5s", 13], ["15s", 13], ["1min", 4]))).to.equal("15s");
    });

    it("reads a wall time as seconds, whatever its precision", () => {
        expect(wallSeconds("2026-11-28T14:30:01.500000000") - wallSeconds("2026-11-28T14:30:00")).to.equal(1.5);
    });
});

describe("the report's rejected records", () => {
    it("group reasons by kind: quoted values and details left out", () => {
        expect(reasonKind('price: not a decimal number: "abc"')).to.equal('price: not a decimal number: "…"');
        expect(reasonKind('symbol: character "/" not allowed in "../AAPL"')).to.equal(
            'symbol: character "…" not allowed in "…"',
        );
        expect(reasonKind("data: not valid JSON (Unexpected end at position 57)")).to.equal("data: not valid JSON (…)");
        expect(reasonKind("price: missing")).to.equal("price: missing");
    });
});

describe("finding Chromium for the browser test", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "chromium-path-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("takes the first executable chromium on PATH", () => {
        const chromium = path.join(dir, "chromium");
        fs.writeFileSync(chromium, "#!/bin/sh\n", { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "google-chrome"), "", { mode: 0o644 });
        expect(findChromium({ PATH: `/nonexistent${path.delimiter}${dir}` })).to.equal(chromium);
    });

    it("skips a file that is not executable, and finds none on an empty PATH", () => {
        fs.writeFileSync(path.join(dir, "chromium"), "", { mode: 0o644 });
        expect(findChromium({ PATH: dir })).to.equal(undefined);
        expect(findChromium({ PATH: "" })).to.equal(undefined);
    });

    it("prefers CHROMIUM_PATH, and finds nothing when it does not exist", () => {
        const custom = path.join(dir, "my-chrome");
        fs.writeFileSync(custom, "", { mode: 0o755 });
        expect(findChromium({ CHROMIUM_PATH: custom, PATH: "/usr/bin" })).to.equal(custom);
        expect(findChromium({ CHROMIUM_PATH: path.join(dir, "missing"), PATH: "/usr/bin" })).to.equal(undefined);
    });
});
