// npm run report: the page built from ticks the processor stored in s3rver, opened in Debian's
// Chromium (headless, every network request refused): it loads with no console error, asks for
// nothing over the network, and draws a candlestick chart for every symbol.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Browser } from "playwright-core";
import { launchChromium, openFile, OpenedPage } from "../../harness/browser/chromium";
import { directoryStore } from "../../harness/query/sources";
import type { ReportData } from "../../harness/report/data";
import { writeReport } from "../../harness/report/report";
import { errorLines, runTool } from "../support/commands";
import { kinesisEvent, tick } from "../support/kinesis-events";
import { Emulators, freshPipeline, startEmulatorsBehindProxies, TestPipeline } from "../support/pipeline";

const SYMBOLS = ["AAPL", "BRK.B", "EURUSD=X", "^GSPC"];

/** Ticks for every symbol over three minutes, prices walking up and down, one with 20 decimals. */
function ticks(): string[] {
    const out: string[] = [];
    SYMBOLS.forEach((symbol, s) => {
        for (let i = 0; i < 12; i++) {
            const minute = 30 + Math.floor(i / 4);
            const price = (100 * (s + 1) + Math.sin(i) * 3).toFixed(s === 2 ? 4 : 2);
            out.push(tick(symbol, price, `2026-11-28T14:${minute}:${String((i % 4) * 15).padStart(2, "0")}Z`));
        }
    });
    out.push(tick("AAPL", "103.12345678901234567850", "2026-11-28T14:33:00Z"));
    return out;
}

/** Per chart, how many pixels are in the candles' up or down colour: non-zero once candles are drawn. */
const CANDLE_PIXELS = `[...document.querySelectorAll("section.symbol")].map(section => {
    let count = 0;
    for (const canvas of section.querySelectorAll(".chart canvas")) {
        if (canvas.width === 0 || canvas.height === 0) continue;
        const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < pixels.length; i += 4) {
            const [r, g, b] = [pixels[i], pixels[i + 1], pixels[i + 2]];
            if ((r === 38 && g === 166 && b === 154) || (r === 239 && g === 83 && b === 80)) count++;
        }
    }
    return { symbol: section.dataset.symbol, drawn: Number(section.dataset.drawn), count };
})`;

describe("npm run report, opened in headless Chromium", function () {
    this.timeout(120_000);
    let dataDir: string;
    let emulators: Emulators;
    let pipeline: TestPipeline;
    let browser: Browser;
    let out: string;
    let data: ReportData;
    let opened: OpenedPage;

    before(async () => {
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "report-test-"));
        emulators = await startEmulatorsBehindProxies(path.join(dataDir, "s3"));
        pipeline = await freshPipeline(emulators);
        expect(await pipeline.invoke(kinesisEvent(ticks()))).to.deep.equal([]);
        out = path.join(dataDir, "report.html");
        ({ data } = await writeReport({
            store: directoryStore(path.join(dataDir, "s3"), pipeline.bucketName),
            where: "the test's s3rver",
            out,
        }));
        browser = await launchChromium();
        opened = await openFile(browser, out);
        await opened.page.waitForFunction(`document.body.dataset.ready === "true"`, undefined, { timeout: 10_000 });
    });

    after(async () => {
        await browser?.close();
        await emulators?.close();
        if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it("builds the page's data from the named queries: every symbol, its minutes and last price", () => {
        expect(data.days).to.deep.equal(["2026-11-28"]);
        expect(data.symbols.map(s => s.symbol)).to.deep.equal(["AAPL", "BRK.B", "EURUSD=X", "^GSPC"]);
        const aapl = data.symbols[0];
        expect(aapl.candles.map(c => c.minute)).to.deep.equal([
            "2026-11-28T14:30",
            "2026-11-28T14:31",
            "2026-11-28T14:32",
            "2026-11-28T14:33",
        ]);
        expect(aapl).to.include({
            ticks: 13,
            lastPrice: "103.123456789012345679",
            lastTimestamp: "2026-11-28T14:33:00Z",
        });
        expect(aapl.candles[0]).to.deep.equal({
            minute: "2026-11-28T14:30",
            open: "100.00",
            high: "102.73",
            low: "100.00",
            close: "100.42",
            ticks: 4,
        });
    });

    it("loads with no console error and asks for nothing over the network", () => {
        expect(opened.errors).to.deep.equal([]);
        expect(opened.requests).to.deep.equal([]);
    });

    it("draws a candlestick chart with its candles for every symbol", async () => {
        const charts = (await opened.page.evaluate(CANDLE_PIXELS)) as {
            symbol: string;
            drawn: number;
            count: number;
        }[];
        expect(charts.map(c => c.symbol)).to.deep.equal(SYMBOLS);
        for (const chart of charts) {
            expect(chart.drawn, chart.symbol).to.equal(chart.symbol === "AAPL" ? 4 : 3);
            expect(chart.count, `${chart.symbol}: candle pixels`).to.be.above(100);
        }
    });

    it("lists the last prices, exact, in a table", async () => {
        const rows = await opened.page.$$eval("#last-prices tbody tr", trs =>
            trs.map(tr => [...tr.querySelectorAll("td")].slice(0, 2).map(td => td.textContent)),
        );
        expect(rows).to.deep.equal(data.symbols.map(s => [s.symbol, s.lastPrice]));
        expect(rows[0]).to.deep.equal(["AAPL", "103.123456789012345679"]);
    });

    describe("the command", () => {
        const run = (args: string[], env: Record<string, string | undefined> = {}) =>
            runTool("report/main.ts", args, { env, timeoutMs: 60_000 });

        it("writes the page from a local run's data directory and says where", async () => {
            const file = path.join(dataDir, "cli", "page.html");
            const result = await run(["--data", dataDir, "--out", file]);
            expect(result.status, result.stderr).to.equal(0);
            expect(result.stdout).to.match(/^report: .*page\.html \(4 symbols, 1 day\)$/m);
            expect(fs.readFileSync(file, "utf8")).to.include('data-symbol="^GSPC"');
        });

        it("answers a missing source with one line and exit 2", async () => {
            const result = await run(["--out", "x.html"]);
            expect(result.status).to.equal(2);
            expect(result.stderr.trim()).to.equal(
                "npm run report: give a source: --bucket NAME or --data DIR (npm run report -- --help for the usage)",
            );
        });

        const badPaths: [string, () => string[], (args: string[]) => string][] = [
            [
                "an --out that is a folder",
                () => ["--out", os.tmpdir()],
                () => `--out ${os.tmpdir()}: that is a folder; give a file name`,
            ],
            [
                "an --out under a file",
                () => ["--out", path.join(out, "x.html")],
                () => `--out ${path.join(out, "x.html")}: ${out} is a file, not a folder`,
            ],
            [
                "a --screenshot that is a folder",
                () => ["--out", path.join(dataDir, "ok.html"), "--screenshot", os.tmpdir()],
                () => `--screenshot ${os.tmpdir()}: that is a folder; give a file name`,
            ],
        ];
        for (const [what, args, message] of badPaths) {
            it(`answers ${what} with one line before reading anything, exit 2`, async () => {
                const result = await run(["--data", dataDir, ...args()]);
                expect(errorLines(result)).to.deep.equal([
                    `npm run report: ${message(args())} (npm run report -- --help for the usage)`,
                ]);
                expect(result.status).to.equal(2);
                expect(result.stdout).to.equal("");
            });
        }

        it("answers --screenshot with no Chromium on the machine with one line before writing anything, exit 1", async () => {
            const page = path.join(dataDir, "no-chromium.html");
            const result = await run(
                ["--data", dataDir, "--out", page, "--screenshot", path.join(dataDir, "page.png")],
                { CHROMIUM_PATH: "/nonexistent/chromium" },
            );
            expect(errorLines(result)).to.deep.equal([
                "npm run report: --screenshot: no Chromium found (CHROMIUM_PATH=/nonexistent/chromium does not exist): " +
                    "run npm run ensure:chromium (apt-get install -y chromium) or set CHROMIUM_PATH",
            ]);
            expect(result.status).to.equal(1);
            expect(fs.existsSync(page)).to.equal(false);
        });

        it("warns, and exits 1, when --days matches no tick: the page is empty", async () => {
            const page = path.join(dataDir, "empty.html");
            const result = await run(["--data", dataDir, "--out", page, "--days", "2030-01-01"]);
            expect(result.status).to.equal(1);
            expect(errorLines(result).pop()).to.equal(
                "npm run report: no ticks on the days --days 2030-01-01 names: the page is empty",
            );
            expect(result.stdout).to.match(/^report: .*empty\.html \(0 symbols, 0 days\)$/m);
        });
    });
});
