import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import AdmZip from "adm-zip";
import { PACKAGE_DIR, PACKAGE_ZIP } from "../../harness/lambda/package";
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
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { aggregateOf, ARRIVAL, kinesisEvent, sequenceNumber, tick, ticksOfOneDay } from "../support/kinesis-events";
import { readRecordCopies } from "../../harness/aws/stored-records";
import { lambdaEnvironment } from "../../harness/lambda/environment";
import { ensurePackage } from "../support/package";
import { Emulators, endpointsOf, startEmulatorsBehindProxies } from "../support/pipeline";

/** Bytes of the files under a folder. */
function unpackedBytes(dir: string): number {
    return fs
        .readdirSync(dir, { withFileTypes: true, recursive: true })
        .filter(entry => entry.isFile())
        .reduce((sum, entry) => sum + fs.statSync(path.join(entry.parentPath, entry.name)).size, 0);
}

describe("the processor's deployment package", () => {
    let sandbox: LambdaSandbox;
    before(async function () {
        this.timeout(120_000);
        await ensurePackage();
        sandbox = createLambdaSandbox(PACKAGE_DIR);
    });
    after(() => sandbox?.remove());

    it("is written unpacked and zipped, with the handler at its root, the zip holding the same files", () => {
        expect(fs.existsSync(path.join(PACKAGE_DIR, "__index.js"))).to.equal(true);
        const zipped = new AdmZip(PACKAGE_ZIP)
            .getEntries()
            .filter(entry => !entry.isDirectory)
            .map(entry => entry.entryName)
            .sort();
        const unpacked = fs
            .readdirSync(PACKAGE_DIR, { recursive: true, withFileTypes: true })
            .filter(entry => entry.isFile())
            .map(entry => path.relative(PACKAGE_DIR, path.join(entry.parentPath, entry.name)))
            .sort();
        expect(zipped).to.include("__index.js").and.deep.equal(unpacked);
    });

    it("is under 5 MiB unpacked and carries no AWS SDK, Smithy or Pulumi package", () => {
        expect(unpackedBytes(PACKAGE_DIR)).to.be.below(5 * 1024 * 1024);
        const scopes = fs.readdirSync(path.join(PACKAGE_DIR, "node_modules"));
        expect(scopes).to.not.include("@aws-sdk").and.not.include("@smithy").and.not.include("@pulumi");
    });

    describe("run in a fresh Node.js process with only the AWS SDK on its module path", () => {
        let emulators: Emulators;
        let lambda: LambdaProcess;
        const dynamo = () => dynamoClient(emulators.dynamo.endpoint);
        const s3 = () => s3Client(emulators.s3.endpoint);
        before(async () => {
            emulators = await startEmulatorsBehindProxies();
            await createTickTable(dynamo(), "StockMarketData");
            await createRecordBucket(s3(), "stock-market-data");
            lambda = await LambdaProcess.start({
                taskRoot: sandbox.taskRoot,
                nodePath: sandbox.nodePath,
                environment: lambdaEnvironment({
                    endpoints: endpointsOf(emulators, true),
                    tableName: "StockMarketData",
                    bucketName: "stock-market-data",
                }),
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

        it("unpacks KPL aggregates: each user record stored under its sub-sequence number", async () => {
            const event = kinesisEvent([aggregateOf(ticksOfOneDay(20, 100))], 10);
            expect(await lambda.invoke(event)).to.deep.equal({ batchItemFailures: [] });
            const keys = await listKeys(s3(), "stock-market-data", "processed/");
            expect(keys.filter(key => key.includes(`/${sequenceNumber(10)}-`))).to.have.length(20);
        });

        describe("with OBJECT_LAYOUT=batch", () => {
            let batchLambda: LambdaProcess;
            before(async () => {
                await createTickTable(dynamo(), "BatchLayout");
                await createRecordBucket(s3(), "batch-layout");
                batchLambda = await LambdaProcess.start({
                    taskRoot: sandbox.taskRoot,
                    nodePath: sandbox.nodePath,
                    environment: lambdaEnvironment({
                        endpoints: endpointsOf(emulators, true),
                        tableName: "BatchLayout",
                        bucketName: "batch-layout",
                        objectLayout: "batch",
                    }),
                });
            });
            after(() => batchLambda?.stop());

            it("writes aggregates and plain records as gzip NDJSON objects, one line per record", async () => {
                const event = kinesisEvent([aggregateOf(ticksOfOneDay(20)), tick("AAPL", "1.5", "2026-11-28"), "{}"]);
                expect(await batchLambda.invoke(event)).to.deep.equal({ batchItemFailures: [] });
                expect(await scanTicks(dynamo(), "BatchLayout")).to.have.length(21);
                const range = `${sequenceNumber(1)}-${sequenceNumber(3)}`;
                expect(await listKeys(s3(), "batch-layout")).to.deep.equal([
                    `processed/day=2026-11-28/shard=shardId-000000000000/${range}.ndjson.gz`,
                    `raw/arrival_day=2026-11-28/shard=shardId-000000000000/${range}.ndjson.gz`,
                    `rejected/arrival_day=2026-11-28/shard=shardId-000000000000/${range}.ndjson.gz`,
                ]);
                const raw = await readRecordCopies(s3(), "batch-layout", "raw/");
                expect(raw.copies.map(copy => copy.id)).to.deep.equal([
                    ...Array.from({ length: 20 }, (_, sub) => `${sequenceNumber(1)}-${sub}`),
                    sequenceNumber(2),
                    sequenceNumber(3),
                ]);
            });
        });

        describe("with ITEM_TTL_DAYS=7", () => {
            let ttlLambda: LambdaProcess;
            before(async () => {
                await createTickTable(dynamo(), "Expiring");
                await createRecordBucket(s3(), "expiring");
                ttlLambda = await LambdaProcess.start({
                    taskRoot: sandbox.taskRoot,
                    nodePath: sandbox.nodePath,
                    environment: {
                        ...lambdaEnvironment({
                            endpoints: endpointsOf(emulators, true),
                            tableName: "Expiring",
                            bucketName: "expiring",
                        }),
                        ITEM_TTL_DAYS: "7",
                    },
                });
            });
            after(() => ttlLambda?.stop());

            /** Each item's symbol and expiresAt, as stored. */
            const expiries = async () => {
                const { Items = [] } = await dynamo().send(new ScanCommand({ TableName: "Expiring" }));
                return Object.fromEntries(Items.map(item => [item.symbol.S, item.expiresAt?.N]));
            };

            it("gives each item expiresAt, 7 days after its record's arrival, and the same on redelivery", async () => {
                // An old tick: expiry counts from the arrival, not the tick's own timestamp.
                const event = kinesisEvent([
                    tick("AAPL", "189.12", "2019-03-01T10:00:00"),
                    tick("MSFT", "415.5", "2026-11-28T14:30:00"),
                ]);
                expect(await ttlLambda.invoke(event)).to.deep.equal({ batchItemFailures: [] });
                const expected = String(Math.floor(ARRIVAL) + 7 * 86_400);
                expect(await expiries()).to.deep.equal({ AAPL: expected, MSFT: expected });
                expect(await ttlLambda.invoke(event)).to.deep.equal({ batchItemFailures: [] });
                expect(await expiries()).to.deep.equal({ AAPL: expected, MSFT: expected });
            });
        });

        /** The error the package fails to start with, as Lambda's init phase would, under `variables`. */
        async function initError(variables: Record<string, string>): Promise<Error | null> {
            return LambdaProcess.start({
                taskRoot: sandbox.taskRoot,
                nodePath: sandbox.nodePath,
                environment: {
                    ...lambdaEnvironment({
                        endpoints: endpointsOf(emulators, true),
                        tableName: "StockMarketData",
                        bucketName: "stock-market-data",
                    }),
                    ...variables,
                },
            }).then(
                async started => {
                    await started.stop();
                    return null;
                },
                (e: Error) => e,
            );
        }

        it("fails at start, naming ITEM_TTL_DAYS, when it is not a whole number of days", async () => {
            expect((await initError({ ITEM_TTL_DAYS: "seven" }))?.message).to.equal(
                `the function's package failed to load: Error: ITEM_TTL_DAYS must be a whole number of days from 1, got "seven"`,
            );
        });

        it("fails at start, naming OBJECT_LAYOUT, when it is neither record nor batch", async () => {
            // The runtime loads the handler at start, as Lambda's init phase does: the error comes then.
            expect((await initError({ OBJECT_LAYOUT: "per-day" }))?.message).to.equal(
                `the function's package failed to load: Error: OBJECT_LAYOUT must be one of record, batch, got "per-day"`,
            );
        });
    });
});
