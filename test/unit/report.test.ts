import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { findChromium } from "../../harness/browser/chromium";
import { ReportData, trimDecimal } from "../../harness/report/data";
import { renderReport } from "../../harness/report/html";

const DATA: ReportData = {
    days: ["2026-11-28"],
    symbols: [
        {
            symbol: "AAPL",
            lastPrice: "189.12",
            lastTimestamp: "2026-11-28T14:30:00Z",
            ticks: 2,
            candles: [
                {
                    minute: "2026-11-28T14:30",
                    open: "189.12",
                    high: "189.50",
                    low: "189.12",
                    close: "189.50",
                    ticks: 2,
                },
            ],
        },
        {
            symbol: "</script><b>",
            lastPrice: "1.00",
            lastTimestamp: "2026-11-28",
            ticks: 1,
            candles: [{ minute: "2026-11-28T00:00", open: "1.00", high: "1.00", low: "1.00", close: "1.00", ticks: 1 }],
        },
    ],
};

const page = (data: ReportData = DATA) =>
    renderReport({
        data,
        source: "s3://bucket (S3 API)",
        generatedAt: new Date("2026-11-28T15:00:00Z"),
        facts: [{ label: "throughput", value: "100.0 records/s over 10.0 s" }],
    });

describe("the report page", () => {
    it("inlines the chart library and the data: no script or style is loaded from elsewhere", () => {
        const html = page();
        expect(html).to.include("TradingView Lightweight Charts™ v5");
        expect(html).to.not.match(/<script[^>]+src=/);
        expect(html).to.not.match(/<link[^>]+href=/);
        // The only address is the attribution link the library's licence asks for.
        expect([...html.matchAll(/href="([^"]+)"/g)].map(m => m[1])).to.deep.equal(["https://www.tradingview.com/"]);
    });

    it("has a section per symbol and a last-prices row per symbol, text escaped", () => {
        const html = page();
        expect(html.match(/<section class="symbol"/g)).to.have.length(2);
        expect(html).to.include('<td>AAPL</td><td class="num">189.12</td>');
        expect(html).to.include("&#60;/script&#62;&#60;b&#62;");
    });

    it("keeps the inlined data inside its script element, whatever the symbols hold", () => {
        const html = page();
        const json = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1];
        expect(JSON.parse(json)).to.deep.equal(DATA);
    });

    it("shows the run's facts when given, and says so when there are no ticks", () => {
        expect(page()).to.include("<th>throughput</th><td>100.0 records/s over 10.0 s</td>");
        expect(page({ days: [], symbols: [] })).to.include("No ticks in this source.");
    });

    it("writes prices with the digits that carry value and at least two decimals", () => {
        expect(trimDecimal("189.120000000000000000")).to.equal("189.12");
        expect(trimDecimal("190.000000000000000000")).to.equal("190.00");
        expect(trimDecimal("415.123456789012345679")).to.equal("415.123456789012345679");
        expect(trimDecimal("1.087500000000000000")).to.equal("1.0875");
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
