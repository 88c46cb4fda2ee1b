import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { decodeTick } from "../pipeline/runtime/tick";
import { FunctionPool, FunctionTimeout } from "../scripts/local-pipeline/function-pool";
import { totalMalformed } from "../scripts/local-pipeline/producer";
import { runLocalPipeline } from "../scripts/local-pipeline/run";
import { compareDecimals, formatSummary, percentile, RunSummary } from "../scripts/local-pipeline/summary";
import { MALFORMED_KINDS, resolveSymbols, seededRandom, TickGenerator } from "../scripts/local-pipeline/ticks";

/** Resolves true when nothing listens at the endpoint any more. */
function refused(endpoint: string): Promise<boolean> {
    const { hostname, port } = new URL(endpoint);
    return new Promise(resolve => {
        const socket = net.connect(Number(port), hostname);
        socket.once("connect", () => { socket.destroy(); resolve(false); });
        socket.once("error", () => resolve(true));
    });
}

/** Handles that outlive a run when it leaks a server or a child process. */
const leakable = () => process.getActiveResourcesInfo().filter(kind => kind === "TCPServerWrap" || kind === "ProcessWrap").length;

describe("the local pipeline (npm run local), a short run end to end", function () {
    this.timeout(120_000);
    const RATE = 100;
    const DURATION = 3;
    const BAD_RATIO = 0.05;
    let summary: RunSummary;
    let handlesBefore: number;

    before(async () => {
        handlesBefore = leakable();
        summary = await runLocalPipeline({ rate: RATE, duration: DURATION, shards: 2, badRatio: BAD_RATIO, seed: 7, symbols: resolveSymbols("8") });
    });

    it("produces rate × duration records, malformed ones in the requested share", () => {
        expect(summary.produced).to.equal(RATE * DURATION);
        expect(totalMalformed(summary.producer)).to.equal(Math.floor(RATE * DURATION * BAD_RATIO));
        expect(summary.producer.putFailed).to.equal(0);
    });

    it("loses nothing: stored + rejected = produced", () => {
        expect(summary.lost).to.equal(0);
        expect(summary.stored + summary.rejected).to.equal(summary.produced);
        expect(summary.failedToDestination).to.equal(0);
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
        expect(summary.latencyMs.p50).to.be.a("number").and.be.at.most(summary.latencyMs.p99!);
    });

    it("ends its report with the reconciliation line", () => {
        const lines = formatSummary(summary);
        expect(lines[lines.length - 1]).to.equal(`produced ${summary.produced}, stored ${summary.stored}, rejected ${summary.rejected}, lost 0`);
    });

    it("closes its servers and the function's processes before returning", async () => {
        for (const endpoint of Object.values(summary.endpoints)) expect(await refused(endpoint), endpoint).to.equal(true);
        expect(leakable()).to.be.at.most(handlesBefore);
    });
});

describe("the local producer's ticks", () => {
    const generate = (count: number, badRatio: number) => {
        const generator = new TickGenerator(resolveSymbols("8"), badRatio, seededRandom(1));
        return Array.from({ length: count }, (_, i) => generator.next(Date.parse("2026-11-28T14:30:00Z") + i));
    };

    it("writes valid ticks the processing contract accepts, with the exact price sent", () => {
        for (const record of generate(500, 0)) {
            const decoded = decodeTick(record.data);
            expect(decoded.valid, record.data.toString()).to.equal(true);
            if (decoded.valid) expect(compareDecimals(decoded.tick.price, record.tick!.price)).to.equal(0);
        }
    });

    it("writes prices as JSON numbers with 2 to 4 decimals and timestamps with microseconds", () => {
        for (const record of generate(200, 0)) {
            expect(record.data.toString()).to.match(/"price":\d+\.\d{2,4},"timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}"/);
        }
    });

    it("never repeats a symbol and timestamp, so every valid tick is its own item", () => {
        const keys = generate(2000, 0).map(record => `${record.tick!.symbol} ${record.tick!.timestamp}`);
        expect(new Set(keys).size).to.equal(keys.length);
    });

    it("writes malformed records of every kind, each of which the contract rejects", () => {
        const malformed = generate(2000, 0.5).filter(record => record.malformed);
        expect(new Set(malformed.map(record => record.malformed))).to.have.all.keys(...MALFORMED_KINDS);
        for (const record of malformed) expect(decodeTick(record.data).valid, record.data.toString()).to.equal(false);
    });

    it("spreads malformed records so that n records hold exactly floor(n × bad-ratio)", () => {
        expect(generate(1000, 0.01).filter(record => record.malformed)).to.have.length(10);
        expect(generate(333, 0.05).filter(record => record.malformed)).to.have.length(16);
    });

    it("refuses symbols the contract would reject", () => {
        expect(() => resolveSymbols("AAPL,../etc")).to.throw(/symbol/);
    });
});

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

describe("the function's execution environments (FunctionPool)", function () {
    this.timeout(20_000);
    let taskRoot: string;
    let pool: FunctionPool;

    before(() => {
        // A stand-in package: hangs on {"hang": true}, throws on {"fail": true}, else names its process.
        taskRoot = fs.mkdtempSync(path.join(os.tmpdir(), "pool-test-"));
        fs.writeFileSync(path.join(taskRoot, "__index.js"), `exports.handler = async event => {
            if (event.hang) return new Promise(() => undefined);
            if (event.fail) throw new Error("handler failed");
            return { batchItemFailures: [], pid: process.pid };
        };`);
    });
    beforeEach(() => { pool = new FunctionPool({ taskRoot, nodePath: taskRoot, environment: {} }, 500); });
    afterEach(() => pool.close());
    after(() => fs.rmSync(taskRoot, { recursive: true, force: true }));

    const pidOf = async (event: object) => ((await pool.invoke({ Records: [], ...event })) as unknown as { pid: number }).pid;

    it("reuses a warm process for the next invocation, also after a function error", async () => {
        const first = await pidOf({});
        await pool.invoke({ Records: [], fail: true } as never).then(() => expect.fail("should throw"), error => expect(error.message).to.equal("handler failed"));
        expect(await pidOf({})).to.equal(first);
        expect(pool.coldStarts).to.equal(1);
    });

    it("fails an invocation that outlives the timeout and replaces its process", async () => {
        const first = await pidOf({});
        await pool.invoke({ Records: [], hang: true } as never).then(() => expect.fail("should time out"), error => expect(error).to.be.instanceOf(FunctionTimeout));
        expect(await pidOf({})).to.not.equal(first);
    });

    it("runs concurrent invocations in separate processes, as Lambda scales per shard", async () => {
        const pids = await Promise.all([pidOf({}), pidOf({})]);
        expect(new Set(pids).size).to.equal(2);
    });

    it("replaces a process that died while idle instead of sending to it", async () => {
        const first = await pidOf({});
        process.kill(first, "SIGINT"); // what Ctrl-C in a terminal does to the whole process group
        await new Promise(resolve => setTimeout(resolve, 200));
        expect(await pidOf({})).to.not.equal(first);
    });
});
