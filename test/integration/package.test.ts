import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { buildLambdaPackage, PACKAGE_DIR, PACKAGE_ZIP } from "../../harness/lambda/package";
import { createLambdaSandbox, LambdaSandbox } from "../../harness/lambda/sandbox";
import { LambdaProcess } from "../../harness/lambda/process";
import {
    createRecordBucket,
    createTickTable,
    dynamoClient,
    getObject,
    listKeys,
    s3Client,
    scanTicks,
} from "../../harness/aws/resources";
import { kinesisEvent, sequenceNumber, tick } from "../support/kinesis-events";
import { Emulators, lambdaEnvironment, startEmulators } from "../support/pipeline";

describe("the processor's deployment package", () => {
    let built: Awaited<ReturnType<typeof buildLambdaPackage>>;
    let sandbox: LambdaSandbox;
    before(async () => {
        built = await buildLambdaPackage();
        sandbox = createLambdaSandbox(PACKAGE_DIR);
    });
    after(() => sandbox?.remove());

    it("is written unpacked and zipped, with the handler at its root", () => {
        expect(fs.existsSync(path.join(PACKAGE_DIR, "__index.js"))).to.equal(true);
        expect(fs.statSync(PACKAGE_ZIP).size).to.equal(built.zipBytes);
    });

    it("is under 5 MiB unpacked and carries no AWS SDK, Smithy or Pulumi package", () => {
        expect(built.bytes).to.be.below(5 * 1024 * 1024);
        const scopes = fs.readdirSync(path.join(PACKAGE_DIR, "node_modules"));
        expect(scopes).to.not.include("@aws-sdk").and.not.include("@smithy").and.not.include("@pulumi");
    });

    describe("run in a fresh Node.js process with only the AWS SDK on its module path", () => {
        let emulators: Emulators;
        let lambda: LambdaProcess;
        const dynamo = () => dynamoClient(emulators.dynamo.endpoint);
        const s3 = () => s3Client(emulators.s3.endpoint);
        before(async () => {
            emulators = await startEmulators();
            await createTickTable(dynamo(), "StockMarketData");
            await createRecordBucket(s3(), "stock-market-data");
            lambda = await LambdaProcess.start({
                taskRoot: sandbox.taskRoot,
                nodePath: sandbox.nodePath,
                environment: lambdaEnvironment(emulators, "StockMarketData", "stock-market-data", true),
            });
        });
        after(async () => {
            await lambda?.stop();
            await emulators?.close();
        });

        it("answers an empty batch with no failures", async () => {
            expect(await lambda.invoke({ Records: [] })).to.deep.equal({ batchItemFailures: [] });
        });

        it("stores valid ticks exactly and quarantines invalid records", async () => {
            const event = kinesisEvent([
                tick("AAPL", "415.123456789012345678901234", "2026-11-28T14:30:00.123456"),
                '{"symbol":"A/B","price":1}',
                tick("EURUSD=X", '"1.0875"', "2026-11-28 14:30"),
            ]);
            expect(await lambda.invoke(event)).to.deep.equal({ batchItemFailures: [] });
            const items = await scanTicks(dynamo(), "StockMarketData");
            expect(items.sort((a, b) => a.symbol.localeCompare(b.symbol))).to.deep.equal([
                {
                    symbol: "AAPL",
                    timestamp: "2026-11-28T14:30:00.123456",
                    price: "415.123456789012345678901234",
                    day: "2026-11-28",
                },
                { symbol: "EURUSD=X", timestamp: "2026-11-28 14:30", price: "1.0875", day: "2026-11-28" },
            ]);
            expect(await listKeys(s3(), "stock-market-data", "raw/")).to.have.length(3);
            expect(await listKeys(s3(), "stock-market-data", "processed/")).to.have.length(2);
            const [rejected] = await listKeys(s3(), "stock-market-data", "rejected/");
            expect(rejected).to.include(sequenceNumber(2));
            expect(JSON.parse((await getObject(s3(), "stock-market-data", rejected)).toString()).reason).to.match(
                /^symbol: character "\/" not allowed/,
            );
        });
    });
});
