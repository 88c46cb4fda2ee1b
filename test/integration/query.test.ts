// npm run query end to end: the shipped deployment package (npm run build:lambda), run in its own
// process as Lambda runs it, writes both object layouts to s3rver (OBJECT_LAYOUT=record and batch),
// including a record written twice and a record written in both layouts; the named queries, run by
// the local engine over s3rver's files and over the S3 API, give the expected numbers.
import { expect } from "chai";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import type { KinesisStreamEvent } from "aws-lambda";
import { bindParameters, findNamedQuery } from "../../pipeline/analytics/queries";
import { GLUE_TABLES } from "../../pipeline/analytics/tables";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from "../../harness/aws/emulators";
import { s3Client } from "../../harness/aws/resources";
import { PACKAGE_DIR } from "../../harness/lambda/package";
import { LambdaProcess } from "../../harness/lambda/process";
import { createLambdaSandbox, LambdaSandbox } from "../../harness/lambda/sandbox";
import { LocalEngine } from "../../harness/query/engine";
import { loadTables, LoadReport } from "../../harness/query/load";
import { bucketStore, directoryStore, ObjectStore } from "../../harness/query/sources";
import { aggregateOf, kinesisEvent, kinesisRecord, sequenceNumber, tick } from "../support/kinesis-events";
import { lambdaEnvironment } from "../../harness/lambda/environment";
import { runTool } from "../support/commands";
import { ensurePackage } from "../support/package";
import { Emulators, endpointsOf, freshPipeline, startEmulatorsBehindProxies, TestPipeline } from "../support/pipeline";

const BATCH_SHARD = "shardId-000000000001";
/** 2026-11-29T14:30:00.5Z: the batch layout's records arrive a day after the record layout's. */
const NEXT_DAY_ARRIVAL = 1795962600.5;
const PRICE_20_DECIMALS = "415.12345678901234567850";
/** Half-up at the 18th decimal (half-even would give …678). */
const PRICE_AS_READ = "415.123456789012345679";
const d = (integer: string) => `${integer}.000000000000000000`;

/** Records numbered n, n+1, … from the batch shard, arriving the next day. */
function batchShardEvent(first: number, payloads: (string | Buffer)[]): KinesisStreamEvent {
    return {
        Records: payloads.map((data, i) => {
            const record = kinesisRecord(data, first + i, BATCH_SHARD);
            record.kinesis.approximateArrivalTimestamp = NEXT_DAY_ARRIVAL;
            return record;
        }),
    };
}

describe("npm run query over objects the shipped package wrote to the emulators", function () {
    this.timeout(180_000);
    let dataDir: string;
    let emulators: Emulators;
    let pipeline: TestPipeline;
    let sandbox: LambdaSandbox;
    const functions: LambdaProcess[] = [];

    /** The deployment package in its own process, configured as the stack configures it. */
    async function shippedFunction(layout: "record" | "batch"): Promise<LambdaProcess> {
        const lambda = await LambdaProcess.start({
            taskRoot: sandbox.taskRoot,
            nodePath: sandbox.nodePath,
            environment: lambdaEnvironment({
                endpoints: endpointsOf(emulators, true),
                tableName: pipeline.tableName,
                bucketName: pipeline.bucketName,
                objectLayout: layout,
            }),
        });
        functions.push(lambda);
        return lambda;
    }

    before(async () => {
        await ensurePackage();
        sandbox = createLambdaSandbox(PACKAGE_DIR);
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "query-test-"));
        emulators = await startEmulatorsBehindProxies(path.join(dataDir, "s3"));
        pipeline = await freshPipeline(emulators);
        const recordLayout = await shippedFunction("record");
        const batchLayout = await shippedFunction("batch");
        const noFailures = { batchItemFailures: [] };

        // Record layout: day 2026-11-28, a price with 20 decimals, one invalid record, the batch
        // delivered twice (the same objects, overwritten).
        const event = kinesisEvent([
            tick("AAPL", "189.12", "2026-11-28T14:30:00Z"),
            tick("AAPL", PRICE_20_DECIMALS, "2026-11-28T14:30:30.5Z"),
            tick("MSFT", "420.5", "2026-11-28T14:30:10Z"),
            `{"symbol":"AAPL","timestamp":"2026-11-28T14:30:00Z"}`,
            tick("AAPL", "190", "2026-11-28 14:31:05"),
        ]);
        expect(await recordLayout.invoke(event)).to.deep.equal(noFailures);
        expect(await recordLayout.invoke(event)).to.deep.equal(noFailures);
        // The same batch again after a switch to the batch layout: every record now in two layouts.
        expect(await batchLayout.invoke(event)).to.deep.equal(noFailures);

        // Batch layout: day 2026-11-29 on another shard. Record 102 is written twice (a redelivery
        // that starts at 102 puts it in a second object), 104 is a KPL aggregate of two ticks
        // (104-0, 104-1), and the invalid record 106 is quarantined twice the same way. MSFT's
        // three ticks (103, 104-0, 104-1) share one timestamp: the table keeps 104-1's, and so do
        // the queries.
        expect(
            await batchLayout.invoke(
                batchShardEvent(101, [
                    tick("AAPL", "191", "2026-11-29T09:30:00Z"),
                    tick("AAPL", "192.5", "2026-11-29T09:30:20Z"),
                ]),
            ),
        ).to.deep.equal(noFailures);
        expect(
            await batchLayout.invoke(
                batchShardEvent(102, [
                    tick("AAPL", "192.5", "2026-11-29T09:30:20Z"),
                    tick("MSFT", "421", "2026-11-29T09:31:00Z"),
                    aggregateOf([
                        tick("MSFT", "421.25", "2026-11-29T09:31:00Z"),
                        tick("MSFT", "421.75", "2026-11-29T09:31:00Z"),
                    ]),
                ]),
            ),
        ).to.deep.equal(noFailures);
        const badDay = tick("AAPL", "1", "2026-02-30T09:00:00Z");
        const negative = tick("AAPL", "-1", "2026-11-29T09:00:00Z");
        expect(await batchLayout.invoke(batchShardEvent(105, [badDay, negative]))).to.deep.equal(noFailures);
        expect(await batchLayout.invoke(batchShardEvent(106, [negative]))).to.deep.equal(noFailures);
    });

    after(async () => {
        for (const lambda of functions) await lambda.stop();
        sandbox?.remove();
        await emulators?.close();
        if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    const EXPECTED: Record<string, (string | null)[][]> = {
        "ticks-per-day": [
            ["2026-11-28", "AAPL", "3"],
            ["2026-11-28", "MSFT", "1"],
            ["2026-11-29", "AAPL", "2"],
            ["2026-11-29", "MSFT", "1"],
        ],
        "ohlc-minute day=2026-11-28": [
            [
                "AAPL",
                "2026-11-28T14:30",
                "189.120000000000000000",
                PRICE_AS_READ,
                "189.120000000000000000",
                PRICE_AS_READ,
                "2",
            ],
            ["AAPL", "2026-11-28T14:31", d("190"), d("190"), d("190"), d("190"), "1"],
            [
                "MSFT",
                "2026-11-28T14:30",
                "420.500000000000000000",
                "420.500000000000000000",
                "420.500000000000000000",
                "420.500000000000000000",
                "1",
            ],
        ],
        "ohlc-minute day=2026-11-29": [
            ["AAPL", "2026-11-29T09:30", d("191"), "192.500000000000000000", d("191"), "192.500000000000000000", "2"],
            ["MSFT", "2026-11-29T09:31", ...Array(4).fill("421.750000000000000000"), "1"],
        ],
        "ohlc-day": [
            ["AAPL", "2026-11-28", "189.120000000000000000", PRICE_AS_READ, "189.120000000000000000", d("190"), "3"],
            ["AAPL", "2026-11-29", d("191"), "192.500000000000000000", d("191"), "192.500000000000000000", "2"],
            [
                "MSFT",
                "2026-11-28",
                "420.500000000000000000",
                "420.500000000000000000",
                "420.500000000000000000",
                "420.500000000000000000",
                "1",
            ],
            ["MSFT", "2026-11-29", ...Array(4).fill("421.750000000000000000"), "1"],
        ],
        "latest-price": [
            ["AAPL", "192.500000000000000000", "2026-11-29T09:30:20Z"],
            ["MSFT", "421.750000000000000000", "2026-11-29T09:31:00Z"],
        ],
        "rejected-per-day": [
            ["2026-11-28", "price: missing", "1"],
            ["2026-11-29", "price: must not be negative", "1"],
            ["2026-11-29", "timestamp: no day 30 in 2026-02", "1"],
        ],
    };

    /** Loads the store, runs every named query (ohlc-minute for both days), returns rows by label. */
    async function runAll(
        store: ObjectStore,
        days?: string[],
    ): Promise<{ report: LoadReport; results: Record<string, (string | null)[][]> }> {
        const engine = await LocalEngine.open(GLUE_TABLES);
        try {
            const report = await loadTables(engine, { store, tables: GLUE_TABLES, days });
            const results: Record<string, (string | null)[][]> = {};
            for (const label of Object.keys(EXPECTED)) {
                const [name, param] = label.split(" ");
                const query = findNamedQuery(name)!;
                const values = bindParameters(query, param ? Object.fromEntries([param.split("=")]) : {});
                results[label] = (await engine.query(query.sql, values)).rows;
            }
            return { report, results };
        } finally {
            engine.close();
        }
    }

    it("the package wrote both layouts: an object per record, and gzip NDJSON objects per batch", async () => {
        const names = async (prefix: string) =>
            (await pipeline.keys(prefix)).map(key => key.split("/").slice(2).join("/"));
        const seq = (n: number) => sequenceNumber(n);
        expect(await names("processed/day=2026-11-28/")).to.have.members([
            `shard=shardId-000000000000/${seq(1)}-${seq(5)}.ndjson.gz`,
            `symbol=AAPL/${seq(1)}.json`,
            `symbol=AAPL/${seq(2)}.json`,
            `symbol=AAPL/${seq(5)}.json`,
            `symbol=MSFT/${seq(3)}.json`,
        ]);
        expect(await names("processed/day=2026-11-29/")).to.have.members([
            `shard=${BATCH_SHARD}/${seq(101)}-${seq(102)}.ndjson.gz`,
            `shard=${BATCH_SHARD}/${seq(102)}-${seq(104)}.ndjson.gz`,
        ]);
        expect(await names("rejected/arrival_day=2026-11-28/")).to.have.members([
            `shard=shardId-000000000000/${seq(1)}-${seq(5)}.ndjson.gz`,
            `shard=shardId-000000000000/${seq(4)}.json`,
        ]);
        expect(await names("rejected/arrival_day=2026-11-29/")).to.have.members([
            `shard=${BATCH_SHARD}/${seq(105)}-${seq(106)}.ndjson.gz`,
            `shard=${BATCH_SHARD}/${seq(106)}-${seq(106)}.ndjson.gz`,
        ]);
    });

    it("reading s3rver's files, every named query gives the expected numbers, each record counted once", async () => {
        const { report, results } = await runAll(directoryStore(path.join(dataDir, "s3"), pipeline.bucketName));
        expect(results).to.deep.equal(EXPECTED);
        // Copies dropped: the 4 ticks and 1 rejection of day 28 held in both layouts, 102 and 106 in two batch objects.
        expect(report).to.deep.equal({
            objects: 11,
            rows: { ticks: 9, rejected: 3 },
            duplicates: { ticks: 5, rejected: 2 },
            problems: [],
        });
    });

    it("reading the bucket through the S3 API gives the same answers", async () => {
        const { report, results } = await runAll(bucketStore(s3Client(emulators.s3.endpoint), pipeline.bucketName));
        expect(results).to.deep.equal(EXPECTED);
        expect(report.objects).to.equal(11);
    });

    it("--days reads only those days' prefixes", async () => {
        const { report, results } = await runAll(directoryStore(path.join(dataDir, "s3"), pipeline.bucketName), [
            "2026-11-29",
        ]);
        expect(report.rows).to.deep.equal({ ticks: 5, rejected: 2 });
        expect(results["ticks-per-day"]).to.deep.equal(EXPECTED["ticks-per-day"].slice(2));
        expect(results["ohlc-minute day=2026-11-28"]).to.deep.equal([]);
    });

    describe("the command", () => {
        /** The CLI in its own process; asynchronously, as s3rver answers from this one. */
        const run = (args: string[], env: Record<string, string> = {}) =>
            runTool("query/main.ts", args, { env, timeoutMs: 60_000 });

        it("prints a named query as JSON, decimals as exact strings without padding, from a local run's data directory", async () => {
            const result = await run([
                "--data",
                dataDir,
                "--named",
                "ohlc-minute",
                "--param",
                "day=2026-11-28",
                "--format",
                "json",
            ]);
            expect(result.status, result.stderr).to.equal(0);
            expect(JSON.parse(result.stdout)[0]).to.deep.equal({
                symbol: "AAPL",
                minute: "2026-11-28T14:30",
                open: "189.12",
                high: PRICE_AS_READ,
                low: "189.12",
                close: PRICE_AS_READ,
                tick_count: 2,
            });
            expect(result.stderr)
                .to.include("read 11 objects from")
                .and.include("ticks 9 rows, 5 duplicate copies dropped");
        });

        it("reads a bucket with the AWS SDK's settings from the environment", async () => {
            const result = await run(
                ["--bucket", pipeline.bucketName, "--sql", "SELECT count(*) AS n FROM ticks", "--format", "csv"],
                {
                    AWS_ENDPOINT_URL_S3: emulators.s3.endpoint,
                    S3_FORCE_PATH_STYLE: "true",
                    AWS_REGION: EMULATOR_REGION,
                    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
                    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
                },
            );
            expect(result.status, result.stderr).to.equal(0);
            expect(result.stdout.trim()).to.equal("n\r\n9");
        });

        const mistakes: [string, string[], RegExp][] = [
            ["an unknown named query", ["--named", "nope"], /^npm run query: --named: no query "nope"; npm run query/],
            [
                "a misspelt named query",
                ["--named", "ohlc_minute"],
                /^npm run query: --named: no query "ohlc_minute" \(did you mean ohlc-minute\?\); npm run query -- --list shows them/,
            ],
            ["a missing parameter", ["--named", "ohlc-minute"], /^npm run query: ohlc-minute: missing parameter day/],
            [
                "a malformed day",
                ["--named", "ticks-per-day", "--days", "2026-02-30"],
                /^npm run query: --days: "2026-02-30" is not a date/,
            ],
            ["SQL that does not parse", ["--sql", "SELEKT 1"], /^npm run query: --sql: Parser Error: /],
            [
                "two queries at once",
                ["--sql", "SELECT 1", "--list"],
                /^npm run query: give only one of --sql, --named or --list, not --sql and --list /,
            ],
        ];
        for (const [what, args, message] of mistakes) {
            it(`answers ${what} with one line and exit 2`, async () => {
                const result = await run(["--data", dataDir, ...args]);
                expect(result.status).to.equal(2);
                expect(result.stderr.trim().split("\n")).to.have.length(1);
                expect(result.stderr).to.match(message);
            });
        }

        it("answers a data directory that does not exist with one line and exit 2", async () => {
            const result = await run(["--data", path.join(dataDir, "missing"), "--named", "latest-price"]);
            expect(result.status).to.equal(2);
            expect(result.stderr.trim()).to.match(
                /^npm run query: .*missing is not a directory \(npm run query -- --help for the usage\)$/,
            );
        });
    });
});

describe("npm run query on Athena, on Ctrl-C", function () {
    this.timeout(60_000);
    let server: http.Server;
    let endpoint: string;
    /** The Athena actions the command asked for, in order. */
    const actions: string[] = [];

    // Athena as far as the command needs it: a query that runs until it is stopped.
    before(async () => {
        server = http.createServer((request, response) => {
            let body = "";
            request.on("data", chunk => (body += chunk));
            request.on("end", () => {
                const action = String(request.headers["x-amz-target"]).replace(/^AmazonAthena\./, "");
                actions.push(action);
                const answers: Record<string, object> = {
                    StartQueryExecution: { QueryExecutionId: "q-1" },
                    GetQueryExecution: { QueryExecution: { QueryExecutionId: "q-1", Status: { State: "RUNNING" } } },
                    StopQueryExecution: {},
                };
                response.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
                response.end(JSON.stringify(answers[action] ?? {}));
            });
        });
        await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
        endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise(resolve => server.close(resolve)));

    it("stops the query on Athena though npm forwards the keypress's SIGINT a second time, exit 130", async () => {
        let interrupted = false;
        const result = await runTool(
            "query/main.ts",
            ["--athena-workgroup", "wg", "--athena-database", "db", "--named", "latest-price"],
            {
                env: {
                    AWS_ENDPOINT_URL_ATHENA: endpoint,
                    AWS_REGION: EMULATOR_REGION,
                    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
                    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
                    AWS_SESSION_TOKEN: undefined,
                    AWS_PROFILE: undefined,
                },
                timeoutMs: 60_000,
                // A shell's foreground job: Ctrl-C signals the whole group, and npm forwards a second SIGINT.
                detached: true,
                onStderr: (stderr, child) => {
                    if (interrupted || !stderr.includes("athena: query q-1 running")) return;
                    interrupted = true;
                    process.kill(-child.pid!, "SIGINT");
                    setTimeout(() => process.kill(child.pid!, "SIGINT"), 20);
                },
            },
        );
        expect(interrupted, result.stderr).to.equal(true);
        expect(result.status, result.stderr).to.equal(130);
        expect(actions, result.stderr).to.include("StopQueryExecution");
        expect(result.stderr).to.include("npm run query: interrupted");
        expect(result.stderr).not.to.include("interrupted again");
    });
});
