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
            afterRun: async run => {
                reportPath = await runReport(run, { out: reportFile, seed: 7, log: line => expect.fail(line) });
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
