import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { FunctionPool, FunctionTimeout } from "../../harness/lambda/function-pool";

describe("the function's execution environments (FunctionPool)", function () {
    this.timeout(20_000);
    let taskRoot: string;
    let pool: FunctionPool;

    before(() => {
        // A stand-in package: hangs on {"hang": true}, throws on {"fail": true}, else names its process.
        taskRoot = fs.mkdtempSync(path.join(os.tmpdir(), "pool-test-"));
        fs.writeFileSync(
            path.join(taskRoot, "__index.js"),
            `exports.handler = async event => {
            if (event.hang) return new Promise(() => undefined);
            if (event.fail) throw new Error("handler failed");
            return { batchItemFailures: [], pid: process.pid };
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

    it("replaces a process that died while idle instead of sending to it", async () => {
        const first = await pidOf({});
        process.kill(first, "SIGINT"); // what Ctrl-C in a terminal does to the whole process group
        await new Promise(resolve => setTimeout(resolve, 200));
        expect(await pidOf({})).to.not.equal(first);
    });
});
