import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gunzipSync } from "zlib";
import { expect } from "chai";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from "../../harness/aws/emulators";
import { ensureStream, localKinesisClient, STREAM_NAME } from "../../harness/aws/kinesis";
import { dynamoClient, getObject, listKeys, s3Client, scanTicks } from "../../harness/aws/resources";
import {
    BUCKET_NAME,
    ensureStorage,
    LocalPipelineOptions,
    runLocalPipeline,
    openLocalStack,
    TABLE_NAME,
} from "../../harness/local-stack/pipeline";
import type { RunSummary } from "../../harness/local-stack/summary";
import { resolveSymbols } from "../../harness/local-stack/ticks";
import { errorLines, runTool } from "../support/commands";
import { readWholeStream } from "../support/data-folder";
import { packageIsStale } from "../support/package";

type Endpoints = { kinesis: string; dynamodb: string; s3: string };

/** What `npm run verify` needs to talk to the emulators instead of AWS: the same code, endpoints from the environment. */
const environment = (endpoints: Endpoints) => ({
    AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    S3_FORCE_PATH_STYLE: "true",
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    AWS_REGION: EMULATOR_REGION,
});

const outputsOf = (streamArn: string) => JSON.stringify({ streamArn, tableName: TABLE_NAME, bucketName: BUCKET_NAME });

/** Whether an object holds a canary: its bytes, or for a batch object one of its gzip NDJSON lines. */
function holdsCanary(key: string, body: Buffer): boolean {
    if (!key.endsWith(".ndjson.gz")) return body.includes("ZZCANARY-");
    return gunzipSync(body)
        .toString("utf8")
        .split("\n")
        .filter(Boolean)
        .map(line => JSON.parse(line))
        .some(
            line =>
                String(line.symbol ?? "").startsWith("ZZCANARY-") ||
                Buffer.from(String(line.data ?? ""), "base64").includes("ZZCANARY-"),
        );
}

/** Canary items and objects left in the store. */
async function canariesLeft(endpoints: Endpoints): Promise<{ items: number; objects: number }> {
    const dynamo = dynamoClient(endpoints.dynamodb);
    const s3 = s3Client(endpoints.s3);
    try {
        const items = (await scanTicks(dynamo, TABLE_NAME)).filter(tick => tick.symbol.startsWith("ZZCANARY-"));
        let objects = 0;
        for (const key of await listKeys(s3, BUCKET_NAME))
            if (holdsCanary(key, await getObject(s3, BUCKET_NAME, key))) objects++;
        return { items: items.length, objects };
    } finally {
        dynamo.destroy();
        s3.destroy();
    }
}

/** A local run that keeps going until the test aborts it, and where its services listen. */
function startLocalStack(options: Partial<LocalPipelineOptions>) {
    const controller = new AbortController();
    let run: Promise<RunSummary>;
    const ready = new Promise<{ endpoints: Endpoints; streamArn: string }>((resolve, reject) => {
        run = runLocalPipeline({
            rate: 2,
            duration: 600,
            shards: 2,
            badRatio: 0,
            seed: 5,
            symbols: resolveSymbols("4"),
            build: packageIsStale(),
            signal: controller.signal,
            interruptDrainSeconds: 2,
            onReady: resolve,
            ...options,
        });
        run.catch(reject);
    });
    return {
        ready,
        stop: async () => {
            controller.abort();
            await run;
        },
    };
}

describe("npm run verify against a local stack (npm run local)", function () {
    this.timeout(240_000);
    let stack: ReturnType<typeof startLocalStack>;
    let ready: { endpoints: Endpoints; streamArn: string };
    let outputsFile: string;

    before(async () => {
        stack = startLocalStack({});
        ready = await stack.ready;
        outputsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "verify-test-")), "outputs.json");
        fs.writeFileSync(outputsFile, outputsOf(ready.streamArn));
    });
    after(async () => {
        await stack.stop();
        fs.rmSync(path.dirname(outputsFile), { recursive: true, force: true });
    });

    it("passes: every canary gets its item, raw/ and processed/ object; reports the latency; deletes them", async () => {
        const result = await runTool("verify/main.ts", ["--stack-outputs", outputsFile, "--timeout", "60"], {
            env: environment(ready.endpoints),
        });
        expect(result.status, result.stdout + result.stderr).to.equal(0);
        const canaryLines = result.lines.filter(line => line.startsWith("canary "));
        expect(canaryLines).to.have.length(3);
        for (const line of canaryLines)
            expect(line).to.match(/: item \d+\.\d s, raw\/ \d+\.\d s, processed\/ \d+\.\d s \[record layout\]$/);
        expect(new Set(canaryLines.map(line => /\((shardId-\d+),/.exec(line)![1])).size, "shards").to.equal(2);
        expect(result.lines.some(line => /^end-to-end latency .*: min \d+\.\d s, max \d+\.\d s$/.test(line))).to.equal(
            true,
        );
        expect(result.lines).to.include("cleaned up: 3 items, 6 objects deleted");
        expect(result.lines[result.lines.length - 1]).to.equal("verify passed: 3 of 3 canaries stored end to end");

        expect(await canariesLeft(ready.endpoints)).to.deep.equal({ items: 0, objects: 0 });
    });

    it("reads the stack outputs from standard input and, with --keep, leaves the canaries in place", async () => {
        const result = await runTool("verify/main.ts", ["--stack-outputs", "-", "--count", "1", "--keep"], {
            env: environment(ready.endpoints),
            input: outputsOf(ready.streamArn),
        });
        expect(result.status, result.stdout + result.stderr).to.equal(0);
        expect(result.lines).to.include("kept the canaries' items and objects (--keep)");
        expect(await canariesLeft(ready.endpoints)).to.deep.equal({ items: 1, objects: 2 });
    });
});

describe("npm run verify against a local stack in the batch object layout", function () {
    this.timeout(240_000);
    // 20 ticks a second: the canaries share batches with the producer's ticks, so verify must leave
    // those objects, and the analytics must still never show a canary.
    let stack: ReturnType<typeof startLocalStack>;
    before(() => {
        stack = startLocalStack({ objectLayout: "batch", rate: 20 });
    });
    after(() => stack.stop());

    it("finds each canary as a line of the batch objects, deletes the objects that hold only canaries, and names those left", async () => {
        const ready = await stack.ready;
        const result = await runTool("verify/main.ts", ["--stack-outputs", "-", "--timeout", "60"], {
            env: environment(ready.endpoints),
            input: outputsOf(ready.streamArn),
        });
        expect(result.status, result.stdout + result.stderr).to.equal(0);
        const canaryLines = result.lines.filter(line => line.startsWith("canary "));
        expect(canaryLines).to.have.length(3);
        for (const line of canaryLines)
            expect(line, result.stdout).to.match(
                /: item \d+\.\d s, raw\/ \d+\.\d s, processed\/ \d+\.\d s \[batch layout\]$/,
            );
        expect(result.lines[result.lines.length - 1]).to.equal("verify passed: 3 of 3 canaries stored end to end");
        expect(result.lines.some(line => /^cleaned up: 3 items, \d+ objects deleted$/.test(line))).to.equal(true);
        const leftLine = result.lines.find(line => line.startsWith("left behind: "));
        const leftBehind = leftLine ? Number(/^left behind: (\d+) batch objects/.exec(leftLine)![1]) : 0;
        expect(await canariesLeft(ready.endpoints)).to.deep.equal({ items: 0, objects: leftBehind });
        expect(leftBehind, "objects left holding canaries beside real ticks").to.be.greaterThan(0);
        // Lines left in objects that also hold real ticks never reach the analytics.
        for (const args of [
            ["--named", "latest-price"],
            ["--sql", "SELECT DISTINCT symbol FROM ticks"],
        ]) {
            const query = await runTool("query/main.ts", ["--bucket", BUCKET_NAME, ...args, "--format", "csv"], {
                env: environment(ready.endpoints),
            });
            expect(query.status, query.stderr).to.equal(0);
            expect(query.stdout, args.join(" ")).to.not.include("ZZCANARY");
        }
    });
});

describe("npm run verify when the function is not running", function () {
    this.timeout(60_000);
    const closers: (() => Promise<void> | void)[] = [];
    let endpoints: Endpoints;
    let streamArn: string;

    before(async () => {
        // The stack's stream, table and bucket, but no function and no event source mapping.
        const stack = await openLocalStack(undefined, closers);
        endpoints = stack.endpoints;
        const { kinesis, dynamo, s3 } = stack;
        streamArn = (await ensureStream(kinesis, STREAM_NAME, 2)).streamArn;
        await ensureStorage(dynamo, s3, false);
    });
    after(async () => {
        for (const close of closers.reverse()) await close();
    });

    const wrongNames: [string, string[], string][] = [
        [
            "table",
            ["--table-name", "NoSuchTable", "--bucket-name", BUCKET_NAME],
            "no table NoSuchTable in us-east-1 (tableName, --table-name); nothing was put on the stream",
        ],
        [
            "bucket",
            ["--table-name", TABLE_NAME, "--bucket-name", "no-such-bucket"],
            "no bucket no-such-bucket (bucketName, --bucket-name); nothing was put on the stream",
        ],
    ];
    for (const [what, names, line] of wrongNames) {
        it(`checks the ${what} before putting canaries: a wrong name leaves nothing on the stream, exit 1`, async () => {
            const runId = `WRONG-${what.toUpperCase()}`;
            const result = await runTool("verify/main.ts", ["--stream-arn", streamArn, ...names, "--run-id", runId], {
                env: environment(endpoints),
            });
            expect(errorLines(result)).to.deep.equal([`npm run verify: ${line}`]);
            expect(result.status).to.equal(1);
            const kinesis = localKinesisClient(endpoints.kinesis);
            try {
                const records = await readWholeStream(kinesis, STREAM_NAME);
                const ours = records.filter(({ record }) => Buffer.from(record.Data!).includes(`ZZCANARY-${runId}`));
                expect(ours).to.deep.equal([]);
            } finally {
                kinesis.destroy();
            }
        });
    }

    it("fails after --timeout, naming for each canary what is missing: item, raw/, processed/", async () => {
        const result = await runTool(
            "verify/main.ts",
            ["--stream-arn", streamArn, "--table-name", TABLE_NAME, "--bucket-name", BUCKET_NAME, "--timeout", "3"],
            { env: environment(endpoints) },
        );
        expect(result.status, result.stdout + result.stderr).to.equal(1);
        const canaryLines = result.lines.filter(line => line.startsWith("canary "));
        expect(canaryLines).to.have.length(3);
        for (const line of canaryLines) expect(line).to.match(/: item MISSING, raw\/ MISSING, processed\/ MISSING$/);
        expect(result.lines[result.lines.length - 1]).to.equal(
            "verify failed after 3.0 s: 3 of 3 canaries incomplete, missing item (3), raw/ (3), processed/ (3): " +
                "nothing was stored; is the function running and subscribed to the stream? (its logs, the event source mapping's state)",
        );
    });
});
