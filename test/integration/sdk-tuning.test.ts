/**
 * The handler with its tuned SDK clients, and the deployment package built from it, against the
 * sink (harness/sink/), which checks every request as S3 and DynamoDB would: valid SigV4 over the
 * body, with Lambda's session token, and the headers each service needs.
 */
import { expect } from "chai";
import { createHandlerFromEnvironment } from "../../pipeline/runtime/handler";
import { FULL_TUNING, NO_TUNING, SdkTuning } from "../../pipeline/runtime/sdk-tuning";
import { startSinkProcess, SinkProcess } from "../../harness/sink/sink-process";
import type { SinkStats } from "../../harness/sink/sink-server";
import { PACKAGE_DIR } from "../../harness/lambda/package";
import { createLambdaSandbox, LambdaSandbox } from "../../harness/lambda/sandbox";
import { LambdaProcess } from "../../harness/lambda/process";
import { lambdaEnvironment } from "../../harness/lambda/environment";
import { kinesisEvent, tick } from "../support/kinesis-events";
import { ensurePackage } from "../support/package";
import { withEnvironment } from "../support/pipeline";

const SESSION_TOKEN = "IQoJb3JpZ2luX2VjEOz-sdk-tuning-test-token";

/** `count` valid ticks numbered from `first`, every (symbol, timestamp) unique. */
function ticks(count: number, first: number) {
    const payloads = Array.from({ length: count }, (_, i) =>
        tick(
            ["AAPL", "BRK.B", "^GSPC", "EURUSD=X"][i % 4],
            `1${i}.25`,
            `2026-11-28T14:30:${String(i % 60).padStart(2, "0")}.${first + i}`,
        ),
    );
    return kinesisEvent(payloads, first);
}

/** What the sink saw between two of its stats. */
function seenSince(before: SinkStats, after: SinkStats) {
    const requests = Object.fromEntries(
        Object.entries(after.requests)
            .map(([operation, count]) => [operation, count - (before.requests[operation] ?? 0)])
            .filter(([, count]) => count),
    );
    const header = (name: string) => (after.headerNames[name] ?? 0) - (before.headerNames[name] ?? 0);
    const problems = after.problemSamples.slice(before.problemSamples.length);
    return {
        requests,
        invalidSignatures: after.invalidSignatures - before.invalidSignatures,
        headerProblems: after.headerProblems - before.headerProblems,
        header,
        problems,
    };
}

/** The function's environment in Lambda, pointing at the sink; the record layout unless told. */
const environmentFor = (sink: SinkProcess, objectLayout: "record" | "batch" = "record") =>
    lambdaEnvironment({
        endpoints: sink.endpoints,
        tableName: "StockMarketData",
        bucketName: "stock-market-data",
        objectLayout,
        sessionToken: SESSION_TOKEN,
    });

describe("the SDK tuning against a sink that checks every request", function () {
    this.timeout(60_000);
    let sink: SinkProcess;
    before(async () => {
        sink = await startSinkProcess({ signing: { sessionToken: SESSION_TOKEN } });
    });
    after(() => sink?.close());

    /** A handler built and run as in Lambda, its environment set for the call only. */
    const invoke = (tuning: SdkTuning, event: ReturnType<typeof ticks>, layout: "record" | "batch" = "record") =>
        withEnvironment(environmentFor(sink, layout), async () => {
            const handler = createHandlerFromEnvironment(() => undefined, tuning);
            const before = await sink.stats();
            const response = await handler(event, { getRemainingTimeInMillis: () => 20_000 });
            return { failures: response.batchItemFailures, seen: seenSince(before, await sink.stats()) };
        });

    it("sends a batch of 100 ticks as 200 PutObject and 4 BatchWriteItem, each validly signed, with the session token and every header needed", async () => {
        const { failures, seen } = await invoke(FULL_TUNING, ticks(100, 1));
        expect(seen.problems).to.deep.equal([]);
        expect(seen).to.deep.include({
            requests: { "s3:PutObject": 200, "dynamodb:BatchWriteItem": 4 },
            invalidSignatures: 0,
            headerProblems: 0,
        });
        expect(seen.header("x-amz-security-token")).to.equal(204);
        expect(failures).to.deep.equal([]);
    });

    it("sends a batch of 100 ticks of one day in the batch layout as 2 PutObject and 4 BatchWriteItem, each validly signed", async () => {
        const { failures, seen } = await invoke(FULL_TUNING, ticks(100, 10_000), "batch");
        expect(seen.problems).to.deep.equal([]);
        expect(seen).to.deep.include({
            requests: { "s3:PutObject": 2, "dynamodb:BatchWriteItem": 4 },
            invalidSignatures: 0,
            headerProblems: 0,
        });
        expect(seen.header("x-amz-security-token")).to.equal(6);
        expect(failures).to.deep.equal([]);
    });

    it("leaves out the SDK's retry, user-agent and trace headers (the tuning is in effect)", async () => {
        const { seen } = await invoke(FULL_TUNING, ticks(10, 101));
        expect(seen.header("x-amz-date")).to.equal(21);
        for (const name of ["amz-sdk-request", "amz-sdk-invocation-id", "x-amz-user-agent", "user-agent"])
            expect(seen.header(name), name).to.equal(0);
    });

    const variants: [string, SdkTuning][] = [
        ["no tuning", NO_TUNING],
        ...(Object.keys(FULL_TUNING) as (keyof SdkTuning)[]).map((name): [string, SdkTuning] => [
            `${name} alone`,
            { ...NO_TUNING, [name]: true },
        ]),
    ];
    variants.forEach(([name, tuning], index) => {
        it(`signs every request validly with ${name}`, async () => {
            const { failures, seen } = await invoke(tuning, ticks(10, 1000 + 100 * index));
            expect(seen.problems).to.deep.equal([]);
            expect(seen).to.deep.include({
                requests: { "s3:PutObject": 20, "dynamodb:BatchWriteItem": 1 },
                invalidSignatures: 0,
                headerProblems: 0,
            });
            expect(failures).to.deep.equal([]);
        });
    });

    describe("the deployment package, as Pulumi serializes the handler", () => {
        let sandbox: LambdaSandbox;
        let lambda: LambdaProcess;
        before(async () => {
            await ensurePackage();
            sandbox = createLambdaSandbox(PACKAGE_DIR);
            lambda = await LambdaProcess.start({
                taskRoot: sandbox.taskRoot,
                nodePath: sandbox.nodePath,
                environment: environmentFor(sink),
            });
        });
        after(async () => {
            await lambda?.stop();
            sandbox?.remove();
        });

        it("signs every request validly, with the tuning in effect", async () => {
            const before = await sink.stats();
            expect(await lambda.invoke(ticks(100, 5000))).to.deep.equal({ batchItemFailures: [] });
            const seen = seenSince(before, await sink.stats());
            expect(seen.problems).to.deep.equal([]);
            expect(seen).to.deep.include({
                requests: { "s3:PutObject": 200, "dynamodb:BatchWriteItem": 4 },
                invalidSignatures: 0,
                headerProblems: 0,
            });
            expect(seen.header("amz-sdk-request"), "the SDK's retry middleware is replaced").to.equal(0);
        });
    });
});
