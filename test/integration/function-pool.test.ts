import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { CrashPlan } from "../../harness/lambda/crashes";
import { FunctionPool, FunctionTimeout } from "../../harness/lambda/function-pool";
import { RuntimeExitError } from "../../harness/lambda/process";
import { processExists, waitUntil } from "../support/wait";

describe("the function's execution environments (FunctionPool)", function () {
    this.timeout(20_000);
    let taskRoot: string;
    let pool: FunctionPool;

    before(() => {
        // A stand-in package: hangs on {"hang": true}, throws on {"fail": true}, else names its
        // process and counts its invocations.
        taskRoot = fs.mkdtempSync(path.join(os.tmpdir(), "pool-test-"));
        fs.writeFileSync(
            path.join(taskRoot, "__index.js"),
            `let calls = 0;
            exports.handler = async event => {
            calls++;
            if (event.hang) return new Promise(resolve => setTimeout(resolve, 60_000));
            if (event.fail) throw new Error("handler failed");
            if (event.slowMs) await new Promise(resolve => setTimeout(resolve, event.slowMs));
            if (event.doneFile) require("fs").writeFileSync(event.doneFile, "done");
            return { batchItemFailures: [], pid: process.pid, calls };
        };`,
        );
    });
    beforeEach(() => {
        pool = new FunctionPool({ taskRoot, nodePath: taskRoot, environment: {} }, 500);
    });
    afterEach(() => pool.close());
    after(() => fs.rmSync(taskRoot, { recursive: true, force: true }));

    const pidOf = async (event: object) =>
        ((await pool.invoke({ Records: [], ...event })) as unknown as { pid: number }).pid;

    it("reuses a warm process for the next invocation, also after a function error", async () => {
        const first = await pidOf({});
        await pool.invoke({ Records: [], fail: true } as never).then(
            () => expect.fail("should throw"),
            error => expect(error.message).to.equal("handler failed"),
        );
        expect(await pidOf({})).to.equal(first);
        expect(pool.coldStarts).to.equal(1);
    });

    it("fails an invocation that outlives the timeout and replaces its process", async () => {
        const first = await pidOf({});
        await pool.invoke({ Records: [], hang: true } as never).then(
            () => expect.fail("should time out"),
            error => expect(error).to.be.instanceOf(FunctionTimeout),
        );
        expect(await pidOf({})).to.not.equal(first);
    });

    it("runs concurrent invocations in separate processes, as Lambda scales per shard", async () => {
        const pids = await Promise.all([pidOf({}), pidOf({})]);
        expect(new Set(pids).size).to.equal(2);
    });

    it("warms up without an invocation: the handler sees no event before the first batch", async () => {
        await pool.warmUp();
        expect(pool.coldStarts).to.equal(1);
        const first = (await pool.invoke({ Records: [] })) as unknown as { calls: number };
        expect(first.calls).to.equal(1);
        expect(pool.coldStarts).to.equal(1);
    });

    it("starts each process in a process group of its own, out of reach of a terminal's Ctrl-C", async () => {
        const pid = await pidOf({});
        // A process group leader's group id is its pid; signalling the group reaches it alone.
        expect(() => process.kill(-pid, 0)).not.to.throw();
    });

    it("replaces a process that died while idle instead of sending to it", async () => {
        const first = await pidOf({});
        process.kill(first, "SIGKILL");
        // Gone once reaped, and the pool hears of its exit as it is reaped.
        await waitUntil(() => !processExists(first), `process ${first} to exit`);
        expect(await pidOf({})).to.not.equal(first);
    });

    it("kills the process in the middle of an invocation the crash plan picks, as an out-of-memory kill: a function error, then a cold start", async () => {
        const crashing = new FunctionPool({ taskRoot, nodePath: taskRoot, environment: {} }, 5000, new CrashPlan(1, 1));
        try {
            const doneFile = path.join(taskRoot, "done");
            const event = (slowMs: number) =>
                ({ Records: [{ kinesis: { sequenceNumber: String(slowMs) } }], slowMs, doneFile }) as never;
            for (const slowMs of [2000, 0]) {
                fs.rmSync(doneFile, { force: true });
                const error = await crashing.invoke(event(slowMs)).then(
                    () => expect.fail("should crash"),
                    (e: Error) => e,
                );
                expect(error).to.be.instanceOf(RuntimeExitError);
                expect(error.message).to.equal("Runtime exited with error: signal: killed");
                // Killed in the middle: the slow handler never got to its end; the fast one did, but its answer is lost.
                expect(fs.existsSync(doneFile), `handler of ${slowMs} ms finished`).to.equal(slowMs === 0);
            }
            expect(crashing.crashes).to.equal(2);
            expect(crashing.coldStarts).to.equal(2);
        } finally {
            await crashing.close();
        }
    });

    it("fails to warm up, once and with the load error, when the package cannot load", async () => {
        const broken = fs.mkdtempSync(path.join(os.tmpdir(), "pool-broken-"));
        fs.writeFileSync(path.join(broken, "__index.js"), `throw new Error("Cannot find module 'left-out'");`);
        const brokenPool = new FunctionPool({ taskRoot: broken, nodePath: broken, environment: {} }, 500);
        try {
            await brokenPool.warmUp().then(
                () => expect.fail("should fail to load"),
                error =>
                    expect(error.message).to.equal(
                        "the function's package failed to load: Error: Cannot find module 'left-out'",
                    ),
            );
        } finally {
            await brokenPool.close();
            fs.rmSync(broken, { recursive: true, force: true });
        }
    });
});
