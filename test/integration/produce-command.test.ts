/**
 * `npm run produce` as a user runs it: its mistakes in one line, its runs against kinesalite
 * (and a Kinesis that dies), the stream found by name or ARN.
 */
import * as fs from "fs";
import * as http2 from "http2";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import {
    CreateStreamCommand,
    GetRecordsCommand,
    GetShardIteratorCommand,
    KinesisClient,
    ListShardsCommand,
    waitUntilStreamExists,
} from "@aws-sdk/client-kinesis";
import { Emulator, startKinesalite } from "../../harness/aws/emulators";
import { localKinesisClient } from "../../harness/aws/kinesis";
import { startKinesaliteProcess } from "../support/kinesalite-process";

import { produce, FRESH_MACHINE, expectOneLine, closedPort } from "../support/command-runs";

describe("npm run produce, when the user makes a mistake", function () {
    this.timeout(120_000);

    it("answers an --endpoint that is not a URL with one line, exit 2", async () => {
        expectOneLine(
            await produce(["--endpoint", "notaurl"]),
            2,
            'npm run produce: --endpoint: expected a URL such as http://127.0.0.1:4567, got "notaurl" (npm run produce -- --help for the usage)',
        );
    });

    it("names the endpoint it could not reach, exit 1", async () => {
        const port = await closedPort();
        expectOneLine(
            await produce(["--endpoint", `http://127.0.0.1:${port}`]),
            1,
            `npm run produce: cannot reach Kinesis at http://127.0.0.1:${port} (ECONNREFUSED): is it running, and is the address right?`,
        );
    });

    it("takes the region from --stream-arn, and says when there are no credentials, exit 1", async () => {
        const arn = "arn:aws:kinesis:us-east-1:123456789012:stream/stock-market-stream";
        expectOneLine(
            await produce(["--stream-arn", arn], { env: FRESH_MACHINE }),
            1,
            `npm run produce: no AWS credentials for ${arn}: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (a local Kinesis needs --endpoint)`,
        );
    });

    it("answers a --stream-arn that is not a stream ARN with one line, exit 2", async () => {
        expectOneLine(
            await produce(["--stream-arn", "stock-market-stream"]),
            2,
            'npm run produce: --stream-arn: expected arn:aws:kinesis:REGION:ACCOUNT:stream/NAME, got "stock-market-stream" (npm run produce -- --help for the usage)',
        );
    });

    it("answers no stream at all with one line saying what to give, exit 2", async () => {
        expectOneLine(
            await produce([]),
            2,
            "npm run produce: where to? --stream-arn ARN for a stream in AWS, or --endpoint URL for a local Kinesis (npm run produce -- --help for the usage)",
        );
    });
});

describe("npm run produce, runs", function () {
    this.timeout(120_000);
    let kinesis: Emulator;
    let client: KinesisClient;
    before(async () => {
        kinesis = await startKinesalite();
        client = localKinesisClient(kinesis.endpoint);
    });
    after(async () => {
        client.destroy();
        await kinesis.close();
    });

    it("creates the stream at --endpoint, puts rate × duration records and prints its seed", async () => {
        const result = await produce([
            "--endpoint",
            kinesis.endpoint,
            "--stream-name",
            "ticks",
            "--rate",
            "40",
            "--duration",
            "1",
        ]);
        expect(result.status, result.stderr).to.equal(0);
        expect(result.stdout).to.match(
            /^producing 40 records\/s for 1 s to stream ticks at http:\/\/127.0.0.1:\d+ \(created, 2 shards\): 8 symbols, bad-ratio 0.01, seed (\d+) \(--seed \1 with the same flags repeats these ticks\)/,
        );
        expect(result.stdout).to.match(/^produced 40 records in /m);
    });

    it("with --csv, sends each row as module 1 would write it, prices as their exact text, and names the rows that are no tick", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "produce-csv-"));
        try {
            const file = path.join(dir, "ticks.csv");
            fs.writeFileSync(
                file,
                '\ufeffsymbol,price,timestamp\r\nAAPL,189.10,2026-11-28T14:30:00.000001\r\n\r\n"BRK.B","410.123456789012345678901",2026-11-28T14:30:01\r\nMSFT,n/a,2026-11-28T14:30:02\r\n',
            );
            const result = await produce([
                "--endpoint",
                kinesis.endpoint,
                "--stream-name",
                "csv",
                "--csv",
                file,
                "--shards",
                "1",
            ]);
            expect(result.status, result.stderr).to.equal(0);
            expect(result.lines[0]).to.match(
                /^sending 3 rows from .*ticks\.csv \(speed max: as fast as the stream takes them\) to stream csv at http:\/\/127\.0\.0\.1:\d+ \(created, 1 shard\)$/,
            );
            expect(result.stdout).to.include(
                `${file}:5: price: not a decimal number: "n/a" (sent all the same: the pipeline rejects it)`,
            );
            expect(result.stdout).to.match(
                /^produced 3 records in .*: 2 valid, 1 malformed \(bad-csv-row 1\); 0 retried, 0 failed to put$/m,
            );
            const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: "csv" }));
            const { ShardIterator } = await client.send(
                new GetShardIteratorCommand({
                    StreamName: "csv",
                    ShardId: Shards[0].ShardId!,
                    ShardIteratorType: "TRIM_HORIZON",
                }),
            );
            const { Records = [] } = await client.send(new GetRecordsCommand({ ShardIterator }));
            expect(Records.map(record => Buffer.from(record.Data!).toString())).to.deep.equal([
                '{"symbol":"AAPL","price":189.10,"timestamp":"2026-11-28T14:30:00.000001"}',
                '{"symbol":"BRK.B","price":410.123456789012345678901,"timestamp":"2026-11-28T14:30:01"}',
                '{"symbol":"MSFT","price":"n/a","timestamp":"2026-11-28T14:30:02"}',
            ]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("says in one line why ticks could not be put when Kinesis dies in the middle of the run, exit 1", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dying-kinesis-"));
        const dying = await startKinesaliteProcess(dir, 0);
        let stopped: Promise<void> | undefined;
        try {
            const result = await produce(["--endpoint", dying.endpoint, "--rate", "20", "--duration", "2"], {
                onStdout: (stdout: string) => {
                    if (!stopped && stdout.includes("producing")) stopped = dying.close();
                },
            });
            const endpoint = dying.endpoint.replace(/[.]/g, "\\.");
            expectOneLine(
                result,
                1,
                new RegExp(
                    `^npm run produce: [1-9]\\d* ticks could not be put: cannot reach Kinesis at ${endpoint} \\((ECONNREFUSED|ECONNRESET)\\): is it running, and is the address right\\?$`,
                ),
            );
        } finally {
            await (stopped ?? dying.close());
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("with --stream-arn and --endpoint, puts to the stream the ARN names at that endpoint", async () => {
        await client.send(new CreateStreamCommand({ StreamName: "by-arn", ShardCount: 1 }));
        await waitUntilStreamExists({ client, maxWaitTime: 30 }, { StreamName: "by-arn" });
        const arn = "arn:aws:kinesis:us-east-1:000000000000:stream/by-arn";
        const result = await produce([
            "--stream-arn",
            arn,
            "--endpoint",
            kinesis.endpoint,
            "--rate",
            "20",
            "--duration",
            "1",
        ]);
        expect(result.status, result.stderr).to.equal(0);
        expect(result.stdout).to.match(/^produced 20 records in /m);
    });

    it("with --stream-arn alone, signs for the ARN's region and addresses the stream by its ARN", async () => {
        // A stand-in for Kinesis in AWS (HTTP/2, as the SDK speaks to it): it records what it is sent.
        const requests: { target: string; authorization: string; body: Record<string, unknown> }[] = [];
        const server = http2.createServer((request, response) => {
            let body = "";
            request.on("data", chunk => (body += chunk));
            request.on("end", () => {
                const parsed = JSON.parse(body) as { Records?: unknown[] };
                const target = String(request.headers["x-amz-target"]);
                requests.push({ target, authorization: String(request.headers.authorization), body: parsed });
                const reply = target.endsWith("PutRecords")
                    ? {
                          FailedRecordCount: 0,
                          Records: (parsed.Records ?? []).map((_, i) => ({
                              SequenceNumber: String(i + 1),
                              ShardId: "shardId-000000000000",
                          })),
                      }
                    : { StreamDescriptionSummary: { StreamStatus: "ACTIVE" } };
                response.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
                response.end(JSON.stringify(reply));
            });
        });
        await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
        const endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
        const arn = "arn:aws:kinesis:eu-west-1:123456789012:stream/stock-market-stream";
        try {
            const result = await produce(["--stream-arn", arn, "--rate", "20", "--duration", "1"], {
                env: {
                    ...FRESH_MACHINE,
                    AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
                    AWS_SECRET_ACCESS_KEY: "secret",
                    AWS_ENDPOINT_URL_KINESIS: endpoint,
                },
            });
            expect(result.status, result.stderr).to.equal(0);
            expect(requests.length).to.be.greaterThan(1);
            for (const request of requests) {
                expect(request.authorization).to.match(
                    /Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/kinesis\/aws4_request/,
                );
                expect(request.body.StreamARN).to.equal(arn);
            }
        } finally {
            server.close();
        }
    });
});
