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

/** Records the processor rejects: two with no price, one that is not UTF-8. */
const REJECTED: (string | Uint8Array)[] = [
    '{"symbol":"AAPL","timestamp":"2026-11-28T14:30:00Z"}',
    '{"symbol":"MSFT","timestamp":"2026-11-28T14:31:00Z"}',
    new Uint8Array([0xff, 0xfe, 0x41]),
];

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
        expect(await pipeline.invoke(kinesisEvent([...ticks(), ...REJECTED]))).to.deep.equal([]);
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

    it("builds the page's data with the query layer: every symbol, its candles at each offered interval, its last price", () => {
        expect(data.days).to.deep.equal(["2026-11-28"]);
        expect(data.symbols.map(s => s.symbol)).to.deep.equal(["AAPL", "BRK.B", "EURUSD=X", "^GSPC"]);
        // 14:30:00 to 14:33:00: one 5-minute candle holds it all; one tick per candle up to 15 s.
        expect(data.intervals.map(i => i.name)).to.deep.equal(["1s", "5s", "15s", "1min", "5min"]);
        expect(data.interval).to.equal("15s");
        const aapl = data.symbols[0];
        expect(aapl.candles["1min"].map(c => c.time)).to.deep.equal([
            "2026-11-28T14:30:00",
            "2026-11-28T14:31:00",
            "2026-11-28T14:32:00",
            "2026-11-28T14:33:00",
        ]);
        expect(aapl).to.include({
            ticks: 13,
            lastPrice: "103.123456789012345679",
            lastTimestamp: "2026-11-28T14:33:00Z",
            firstTime: "2026-11-28T14:30:00.000000000",
            lastTime: "2026-11-28T14:33:00.000000000",
        });
        expect(aapl.candles["1min"][0]).to.deep.equal({
            time: "2026-11-28T14:30:00",
            open: "100.00",
            high: "102.73",
            low: "100.00",
            close: "100.42",
            ticks: 4,
        });
        expect(aapl.candles["5min"]).to.have.length(1);
        expect(aapl.candles["15s"]).to.have.length(13);
    });

    it("counts the rejected records by kind of reason, with samples as text (or base64 when not UTF-8)", () => {
        expect(data.rejected.total).to.equal(3);
        expect(data.rejected.reasons.map(r => [r.reason, r.count, r.samples.length])).to.deep.equal([
            ["price: missing", 2, 2],
            ["data: not valid UTF-8", 1, 1],
        ]);
        expect(data.rejected.reasons[0].samples[0]).to.include({
            data: '{"symbol":"AAPL","timestamp":"2026-11-28T14:30:00Z"}',
            encoding: "utf8",
        });
        expect(data.rejected.reasons[1].samples[0]).to.include({ data: "//5B", encoding: "base64" });
    });

    it("loads with no console error and asks for nothing over the network", () => {
        expect(opened.errors).to.deep.equal([]);
        expect(opened.requests).to.deep.equal([]);
    });

    it("names the candle interval and draws a candlestick chart with its candles for every symbol", async () => {
        expect(await opened.page.textContent("#candles h2")).to.equal("15-second candles");
        const charts = (await opened.page.evaluate(CANDLE_PIXELS)) as {
            symbol: string;
            drawn: number;
            count: number;
        }[];
        expect(charts.map(c => c.symbol)).to.deep.equal(SYMBOLS);
        for (const chart of charts) {
            expect(chart.drawn, chart.symbol).to.equal(chart.symbol === "AAPL" ? 13 : 12);
            expect(chart.count, `${chart.symbol}: candle pixels`).to.be.above(100);
        }
    });

    it("states each symbol's ticks, span and last price beside its name, and its last candle's exact prices", async () => {
        const about = await opened.page.$$eval("section.symbol h3 small", smalls => smalls.map(s => s.textContent));
        expect(about[0]).to.equal("13 ticks over 3 min, last 103.123456789012345679; 13 candles");
        const legend = await opened.page.textContent('section.symbol[data-symbol="AAPL"] .legend');
        expect(legend).to.equal(
            "O 103.123456789012345679  H 103.123456789012345679  L 103.123456789012345679  C 103.123456789012345679  1 tick  2026-11-28 14:33:00",
        );
    });

    it("switches every chart to another interval in the page, with no request", async () => {
        await opened.page.click('#interval-switch button[data-interval="1min"]');
        expect(await opened.page.textContent("#candles h2")).to.equal("1-minute candles");
        const drawn = await opened.page.$$eval("section.symbol", sections => sections.map(s => s.dataset.drawn));
        expect(drawn).to.deep.equal(["4", "3", "3", "3"]);
        expect(await opened.page.textContent('section.symbol[data-symbol="BRK.B"] .legend')).to.match(
            /^O \S+ {2}H \S+ {2}L \S+ {2}C \S+ {2}4 ticks {2}2026-11-28 14:32:00$/,
        );
        expect(opened.requests).to.deep.equal([]);
        expect(opened.errors).to.deep.equal([]);
    });

    it("lists the rejected records by reason, with two samples each", async () => {
        expect(await opened.page.textContent("#rejected-summary")).to.equal("3 records rejected, 2 kinds of reason:");
        const rows = await opened.page.$$eval("#rejected-reasons tbody tr", trs =>
            trs.map(tr => [...tr.querySelectorAll("td")].slice(0, 2).map(td => td.textContent)),
        );
        expect(rows).to.deep.equal([
            ["price: missing", "2"],
            ["data: not valid UTF-8", "1"],
        ]);
        expect(await opened.page.$$eval("#rejected-reasons .sample code", codes => codes.length)).to.equal(3);
    });

    it("has no Run section: no run made these ticks", async () => {
        expect(await opened.page.isHidden("#run")).to.equal(true);
    });

    describe("the command", () => {
        const run = (args: string[], env: Record<string, string | undefined> = {}) =>
            runTool("report/main.ts", args, { env, timeoutMs: 60_000 });

        it("writes the page from a local run's data directory and says where", async () => {
            const file = path.join(dataDir, "cli", "page.html");
            const result = await run(["--data", dataDir, "--out", file]);
            expect(result.status, result.stderr).to.equal(0);
            expect(result.stdout).to.match(/^report: .*page\.html \(4 symbols, 1 day, 15-second candles\)$/m);
            expect(fs.readFileSync(file, "utf8")).to.include('"symbol":"^GSPC"');
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
