import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { totalMalformed } from "../../harness/local-stack/producer";
import { runLocalPipeline } from "../../harness/local-stack/pipeline";
import { formatSummary, RunSummary } from "../../harness/local-stack/summary";
import { resolveSymbols } from "../../harness/local-stack/ticks";
import { packageIsStale } from "../support/package";
import { runReport } from "../../harness/report/local-run";
import { producerFlags } from "../../harness/cli/producer-flags";
import { openLoadedEngine } from "../../harness/query/load";
import { bucketStore } from "../../harness/query/sources";
import { formatResult } from "../../harness/query/format";
import type { TimelinePoint } from "../../harness/local-stack/timeline";

/** Resolves true when nothing listens at the endpoint any more. */
function refused(endpoint: string): Promise<boolean> {
    const { hostname, port } = new URL(endpoint);
    return new Promise(resolve => {
        const socket = net.connect(Number(port), hostname);
        socket.once("connect", () => {
            socket.destroy();
            resolve(false);
        });
        socket.once("error", () => resolve(true));
    });
}

/** Handles that outlive a run when it leaks a server or a child process. */
const leakable = () =>
    process.getActiveResourcesInfo().filter(kind => kind === "TCPServerWrap" || kind === "ProcessWrap").length;

describe("the local pipeline (npm run local), a short run end to end", function () {
    this.timeout(120_000);
    const RATE = 100;
    const DURATION = 3;
    const BAD_RATIO = 0.05;
    let summary: RunSummary;
    let handlesBefore: number;
    const reportFile = path.join(os.tmpdir(), `local-report-${process.pid}.html`);
    let reportPath: string | undefined;

    before(async () => {
        handlesBefore = leakable();
        summary = await runLocalPipeline({
            rate: RATE,
            duration: DURATION,
            shards: 2,
            badRatio: BAD_RATIO,
            seed: 7,
            symbols: resolveSymbols("8"),
            // Built once for the whole suite (global-setup.ts): a build here would rewrite
            // dist/processor while other test files run it.
            build: packageIsStale(),
            afterRun: async run => {
                reportPath = await runReport(run, { out: reportFile, log: line => expect.fail(line) });
            },
        });
    });
    after(() => fs.rmSync(reportFile, { force: true }));

    it("produces rate × duration records, malformed ones in the requested share", () => {
        expect(summary.produced).to.equal(RATE * DURATION);
        expect(totalMalformed(summary.producer)).to.equal(Math.floor(RATE * DURATION * BAD_RATIO));
        expect(summary.producer.putFailed).to.equal(0);
    });

    it("loses nothing: stored + rejected = produced", () => {
        expect(summary.lost).to.equal(0);
        expect(summary.stored + summary.rejected).to.equal(summary.produced);
        expect(summary.failedToDestination).to.equal(0);
        expect(summary.inFailureDestination).to.equal(0);
        expect(summary.problems).to.deep.equal([]);
        expect(summary.ok).to.equal(true);
    });

    it("counts as stored exactly what DynamoDB and S3 hold: one item and one processed/ object per valid record", () => {
        expect(summary.stored).to.equal(summary.producer.valid);
        expect(summary.store.tableItems).to.equal(summary.stored);
        expect(summary.store.processed).to.equal(summary.stored);
        expect(summary.store.raw).to.equal(summary.produced);
        expect(summary.symbols.reduce((sum, symbol) => sum + symbol.count, 0)).to.equal(summary.stored);
    });

    it("counts as rejected exactly the malformed records the producer sent, one rejected/ object each", () => {
        expect(summary.rejected).to.equal(totalMalformed(summary.producer));
        expect(summary.store.rejected).to.equal(summary.rejected);
    });

    it("measures end-to-end latency for every record", () => {
        expect(summary.latencyMs.samples).to.equal(summary.stored + summary.rejected);
        expect(summary.latencyMs.p50).to.be.a("number").and.be.at.most(summary.latencyMs.p99!);
    });

    it("writes the run's report page: every symbol's stored ticks in 1-second candles, the rejected, and the run over time", () => {
        expect(reportPath).to.equal(reportFile);
        const html = fs.readFileSync(reportFile, "utf8");
        const state = JSON.parse(/<script type="application\/json" id="page-data">(.*?)<\/script>/s.exec(html)![1]);
        const data = state.report;
        expect(data.symbols).to.have.length(8);
        expect(data.symbols.reduce((sum: number, s: { ticks: number }) => sum + s.ticks, 0)).to.equal(summary.stored);
        expect(data.interval).to.equal("1s");
        expect(data.rejected.total).to.equal(summary.rejected);
        expect(state.facts.map((fact: { value: string }) => fact.value)).to.include.members([
            `produced ${summary.produced}, stored ${summary.stored}, rejected ${summary.rejected}, lost 0`,
        ]);
        expect(JSON.stringify(state.facts)).to.include(`p50 ${Math.round(summary.latencyMs.p50!)} ms`);
        // The run's seed, from its summary: what repeats it.
        expect(state.facts).to.deep.include({ label: "seed", value: "7" });
        // One point a second, adding up to what the run produced and what the function acknowledged.
        const timeline: TimelinePoint[] = state.run.timeline;
        expect(timeline.length).to.be.within(DURATION, DURATION + 10);
        expect(timeline.reduce((sum, p) => sum + p.produced, 0)).to.equal(summary.produced);
        expect(timeline.reduce((sum, p) => sum + p.stored + p.rejected, 0)).to.equal(summary.produced);
        expect(timeline.some(p => p.latencyP50Ms !== null && p.latencyP99Ms! >= p.latencyP50Ms)).to.equal(true);
        expect(state.run).to.include({ status: "finished", produced: summary.produced, inFlight: 0 });
    });

    it("ends its report with the reconciliation line", () => {
        const lines = formatSummary(summary);
        expect(lines[lines.length - 1]).to.equal(
            `produced ${summary.produced}, stored ${summary.stored}, rejected ${summary.rejected}, in failure destination 0, lost 0`,
        );
    });

    it("closes its servers and the function's processes before returning", async () => {
        for (const endpoint of Object.values(summary.endpoints))
            expect(await refused(endpoint), endpoint).to.equal(true);
        expect(leakable()).to.be.at.most(handlesBefore);
    });
});

describe("the local pipeline in the batch layout, fed KPL aggregates (npm run local -- --object-layout batch --aggregate 10)", function () {
    this.timeout(120_000);
    let summary: RunSummary;

    before(async () => {
        summary = await runLocalPipeline({
            rate: 100,
            duration: 3,
            shards: 2,
            badRatio: 0.05,
            seed: 11,
            symbols: resolveSymbols("8"),
            objectLayout: "batch",
            aggregate: 10,
            build: packageIsStale(),
        });
    });

    it("puts the ticks in aggregates of 10", () => {
        expect(summary.producer.produced).to.equal(300);
        expect(summary.producer.kinesisRecords).to.equal(30);
    });

    it("reconciles every tick, record by record, from the gzip NDJSON lines: nothing lost or duplicated", () => {
        expect(summary.problems).to.deep.equal([]);
        expect(summary.notes).to.deep.equal([]);
        expect(summary).to.include({ lost: 0, ok: true });
        expect(summary.stored).to.equal(summary.producer.valid);
        expect(summary.rejected).to.equal(totalMalformed(summary.producer));
        expect(summary.store).to.include({ raw: 300, processed: summary.stored, rejected: summary.rejected });
    });

    it("writes one raw/ object per invocation instead of one per tick", () => {
        expect(summary.store.objects.raw).to.equal(summary.invocations);
        expect(summary.store.objects.raw).to.be.below(summary.store.raw / 5);
    });
});

describe("the local pipeline under chaos (--faults, --crash-rate)", function () {
    this.timeout(180_000);
    let summary: RunSummary;

    before(async () => {
        summary = await runLocalPipeline({
            rate: 100,
            duration: 4,
            shards: 2,
            badRatio: 0.02,
            seed: 11,
            symbols: resolveSymbols("8"),
            faults: 0.2,
            crashRate: 0.2,
            build: packageIsStale(),
        });
    });

    it("injects faults of every kind into the function's requests and kills its process mid-invocation", () => {
        expect(summary.faults!.injected).to.be.above(0);
        for (const kind of ["error", "throttle", "reset"] as const)
            expect(summary.faults!.byKind[kind], kind).to.be.above(0);
        expect(summary.crashes).to.be.above(0);
        expect(summary.functionErrors).to.be.at.least(summary.crashes);
    });

    it("retries as the event source mapping does: after every crash, bisecting the batch when it has two records or more", () => {
        expect(summary.retries).to.be.at.least(summary.crashes);
        expect(summary.bisections).to.be.above(0);
    });

    it("loses nothing: every record is stored, rejected, or in the failure destination", () => {
        expect(summary.lost).to.equal(0);
        expect(summary.stored + summary.rejected + summary.inFailureDestination).to.equal(summary.produced);
        expect(summary.problems).to.deep.equal([]);
        expect(summary.ok).to.equal(true);
    });

    it("reports the faults, crashes and retries, and ends with the reconciliation line", () => {
        const lines = formatSummary(summary);
        expect(lines.find(line => line.startsWith("faults injected: "))).to.match(
            /^faults injected: [1-9]\d* of \d+ requests/,
        );
        expect(lines.find(line => line.startsWith("invocations: "))).to.include(`${summary.crashes} crashes`);
        expect(lines[lines.length - 1]).to.match(
            /^produced 400, stored \d+, rejected \d+, in failure destination \d+, lost 0$/,
        );
    });
});

describe("the local pipeline fed history from CSV files (npm run local -- --csv FILE --speed max)", function () {
    this.timeout(180_000);
    let dir: string;
    let ticksRun: RunSummary;
    let barsRun: RunSummary;
    /** What npm run query prints (CSV) for SELECT symbol, "timestamp", price FROM ticks, after each run. */
    const printed: string[][] = [];
    const logged: string[] = [];
    /** [symbol, timestamp, price as written] of every valid row. */
    const valid: [string, string, string][] = [];

    /** A tick file: BOM, CRLF, a blank line, quoted fields, prices as written (trailing zeros, 18 decimals). */
    function tickFile(file: string): void {
        const rows = ["\ufeffSymbol,Price,Timestamp"];
        for (let i = 0; i < 240; i++) {
            const symbol = ["AAPL", "MSFT", "^GSPC"][i % 3];
            const price =
                i % 7 === 0 ? `${100 + i}.10` : i % 11 === 0 ? `${i}.123456789012345678` : `${150 + i}.${i % 100}`;
            const timestamp = `2026-03-02T14:3${Math.floor(i / 60)}:${String(i % 60).padStart(2, "0")}.5`;
            rows.push(i % 5 === 0 ? `"${symbol}","${price}","${timestamp}"` : `${symbol},${price},${timestamp}`);
            valid.push([symbol, timestamp, price]);
        }
        // Lines 51 to 54: a blank line, then three rows the pipeline rejects.
        rows.splice(50, 0, "", "AAPL,n/a,2026-03-02T14:40:00", "MSFT,12.5,03/02/2026", "AAPL,-3,2026-03-02T14:40:01");
        // The key of row 180 (AAPL at 14:33:00.5) again, later: the table keeps this price.
        rows.push("AAPL,999.99,2026-03-02T14:33:00.5");
        valid.push(["AAPL", "2026-03-02T14:33:00.5", "999.99"]);
        fs.writeFileSync(file, rows.join("\r\n") + "\r\n");
    }

    /** A daily-bars download of one symbol, with a day that has no price (line 10). */
    function barsFile(file: string): void {
        const bars = ["Date,Open,High,Low,Close,Adj Close,Volume"];
        for (let day = 1; day <= 28; day++) {
            const date = `2025-02-${String(day).padStart(2, "0")}`;
            const close = day === 9 ? "null" : `${180 + day}.${String(day * 3).padStart(2, "0")}0000`;
            bars.push(`${date},1,1,1,${close},1,100`);
            if (day !== 9) valid.push(["IBM", date, close]);
        }
        fs.writeFileSync(file, bars.join("\n") + "\n");
    }

    async function run(flags: Record<string, unknown>): Promise<RunSummary> {
        return runLocalPipeline({
            ...producerFlags({ shards: "2", speed: "max", ...flags }),
            build: packageIsStale(),
            log: line => logged.push(line),
            afterRun: async ({ s3, bucket }) => {
                const { engine } = await openLoadedEngine(bucketStore(s3, bucket));
                try {
                    const result = await engine.query(`SELECT symbol, "timestamp", price FROM ticks`);
                    printed.push(
                        ...formatResult(result, "csv")
                            .split("\r\n")
                            .slice(1)
                            .map(line => line.split(",")),
                    );
                } finally {
                    engine.close();
                }
            },
        });
    }

    before(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-csv-"));
        tickFile(path.join(dir, "ticks.csv"));
        barsFile(path.join(dir, "IBM.csv"));
        ticksRun = await run({ csv: [path.join(dir, "ticks.csv")] });
        barsRun = await run({
            csv: [path.join(dir, "IBM.csv")],
            "csv-columns": "price=Close,timestamp=Date",
            "csv-symbol": ["IBM"],
        });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("sends every row, and reconciles CSV ticks as it does synthetic ones: nothing lost", () => {
        expect(ticksRun).to.include({ produced: 244, stored: 241, rejected: 3, lost: 0, ok: true });
        expect(ticksRun.problems).to.deep.equal([]);
        expect(ticksRun.producer.malformed["bad-csv-row"]).to.equal(3);
        // The key sent twice is one item, with the later price.
        expect(ticksRun.store.tableItems).to.equal(240);
        expect(ticksRun.symbols.find(s => s.symbol === "AAPL")!.max).to.equal("999.99");
        expect(barsRun).to.include({ produced: 28, stored: 27, rejected: 1, lost: 0, ok: true });
    });

    it("names each row the pipeline rejects by file and line as it is sent", () => {
        const [ticks, bars] = [path.join(dir, "ticks.csv"), path.join(dir, "IBM.csv")];
        expect(logged.filter(line => line.includes("sent all the same"))).to.deep.equal([
            `${ticks}:52: price: not a decimal number: "n/a" (sent all the same: the pipeline rejects it)`,
            `${ticks}:53: timestamp: not ISO 8601 (YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM]): "03/02/2026" (sent all the same: the pipeline rejects it)`,
            `${ticks}:54: price: must not be negative (sent all the same: the pipeline rejects it)`,
            `${bars}:10: price: not a decimal number: "null" (sent all the same: the pipeline rejects it)`,
        ]);
        expect(logged).to.include(`sending 244 rows from ${ticks} (speed max: as fast as the stream takes them)`);
    });

    it("stores every price exactly as written: npm run query prints its digits, without padding", () => {
        const asPrinted = (price: string) => price.replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
        expect(printed).to.have.length(valid.length);
        const key = (row: string[]) => row.join("|");
        expect(printed.map(key).sort()).to.deep.equal(
            valid.map(([symbol, timestamp, price]) => key([symbol, timestamp, asPrinted(price)])).sort(),
        );
        expect(printed.map(key)).to.include("AAPL|2026-03-02T14:30:33.5|33.123456789012345678");
        expect(printed.map(key)).to.include("IBM|2025-02-01|181.03");
    });
});
