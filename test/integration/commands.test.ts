/**
 * The first hour of a new user, command by command: each mistake gets one line on stderr and
 * the right exit code (2 for a usage error), never a stack trace; Ctrl-C ends a run cleanly; a
 * run prints its seed and can be repeated from it. Each test runs the command as `npm run` does.
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
import { PACKAGE_DIR } from "../../harness/lambda/package";
import { CommandResult, errorLines, ROOT, runNpm, runScript, runTool } from "../support/commands";
import { docPages, flagsPassed, helpLists, packageScripts, readPage } from "../support/docs";
import { startKinesaliteProcess } from "../support/kinesalite-process";
import { ensurePackage } from "../support/package";
import { MARKER } from "../../harness/local-stack/data-dir";

const local = (args: string[], options = {}) => runTool("local/main.ts", args, { timeoutMs: 120_000, ...options });
const produce = (args: string[], options = {}) => runTool("produce/main.ts", args, { timeoutMs: 60_000, ...options });
const clean = (args: string[]) => runTool("clean/main.ts", args);

/** No AWS credentials or region from the environment: a fresh machine. */
const FRESH_MACHINE = {
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_REGION: undefined,
    AWS_DEFAULT_REGION: undefined,
    AWS_CONFIG_FILE: "/nonexistent",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
};

/** The one line a mistake gets, and no stack trace. */
function expectOneLine(result: CommandResult, code: number, line: string | RegExp): void {
    const lines = errorLines(result);
    expect(lines, result.stderr).to.have.length(1);
    if (typeof line === "string") expect(lines[0]).to.equal(line);
    else expect(lines[0]).to.match(line);
    expect(result.stderr).not.to.match(/\n\s+at /);
    expect(result.status).to.equal(code);
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise(resolve => server.close(resolve));
    return port;
}

/** The symbol table of a run's summary: the same seed must give the same one. */
const symbolTable = (stdout: string) => /^symbol .*?\n\n/ms.exec(stdout)?.[0];
const seedOf = (stdout: string) => Number(/^local run: seed (\d+) /m.exec(stdout)?.[1]);
/** Where the runs' report pages go, out of the project's folder. */
const REPORT = path.join(os.tmpdir(), `commands-test-report-${process.pid}.html`);
/** A daily-bars download (no symbol column), for the --csv mistakes. */
const BARS = path.join(os.tmpdir(), `commands-test-bars-${process.pid}.csv`);
const FAST = ["--rate", "50", "--duration", "1", "--skip-build", "--report", REPORT];

describe("npm run local, when the user makes a mistake", function () {
    this.timeout(180_000);
    before(() =>
        fs.writeFileSync(
            BARS,
            "Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-02,187.15,188.44,183.89,185.64,184.73,82488700\n",
        ),
    );
    after(() => fs.rmSync(BARS, { force: true }));

    describe("with --skip-build before any build", () => {
        const aside = `${PACKAGE_DIR}.moved-by-test`;
        before(() => {
            if (fs.existsSync(PACKAGE_DIR)) fs.renameSync(PACKAGE_DIR, aside);
        });
        after(() => {
            if (fs.existsSync(aside)) fs.renameSync(aside, PACKAGE_DIR);
        });

        it("says to build the package first, before starting anything, exit 1", async () => {
            const result = await local(["--skip-build"]);
            expectOneLine(
                result,
                1,
                "npm run local: --skip-build: there is no package in dist/processor/ yet: run npm run build:lambda once, or leave out --skip-build",
            );
            expect(result.stdout).to.equal("");
        });

        it("npm run replay -- --data DIR --skip-build says the same, before starting the emulators, exit 1", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "replay-no-package-"));
            try {
                fs.writeFileSync(path.join(dir, MARKER), "");
                fs.mkdirSync(path.join(dir, "kinesis"));
                fs.writeFileSync(path.join(dir, "failures.jsonl"), "");
                const result = await runTool("replay/main.ts", ["--data", dir, "--skip-build"]);
                expectOneLine(
                    result,
                    1,
                    "npm run replay: --skip-build: there is no package in dist/processor/ yet: run npm run build:lambda once, or leave out --skip-build",
                );
                expect(result.stdout).to.equal("");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    const usageErrors: [string, string[], string][] = [
        [
            "a file as --data",
            ["--data", "README.md"],
            "--data README.md: that is a file; give a folder (it is created if missing)",
        ],
        ["a negative rate", ["--rate", "-5"], '--rate: expected a number from 0.1 to 100000, got "-5"'],
        ["an unknown flag", ["--turbo", "5"], "Unknown option '--turbo'"],
        ["a misspelt flag", ["--duraton", "5"], "Unknown option '--duraton' (did you mean --duration?)"],
        ["a flag without its value", ["--duration"], "Option '--duration <value>' argument missing"],
        [
            "a starting position in lower case",
            ["--starting-position", "latest"],
            '--starting-position: expected one of LATEST, TRIM_HORIZON, AT_TIMESTAMP, got "latest" (did you mean LATEST?)',
        ],
        [
            "an object layout in upper case",
            ["--object-layout", "BATCH"],
            '--object-layout: expected one of record, batch, got "BATCH" (did you mean batch?)',
        ],
        ["a bad ratio over 1", ["--bad-ratio", "2"], '--bad-ratio: expected a number from 0 to 1, got "2"'],
        [
            "a seed that is not an integer",
            ["--seed", "1.5"],
            '--seed: expected an integer from 0 to 4294967295, got "1.5"',
        ],
        [
            "a daily-bars file without --csv-columns",
            ["--csv", BARS],
            `--csv ${BARS} has no symbol column (its columns: Date, Open, High, Low, Close, Adj Close, Volume): map one with --csv-columns symbol=NAME or --csv-symbol SYMBOL for a file of one symbol`,
        ],
        ["--port without --live", ["--port", "8080"], "--port goes with --live"],
    ];
    for (const [what, args, message] of usageErrors) {
        it(`answers ${what} with one line and exit 2`, async () => {
            const result = await local([...args, "--skip-build"]);
            expectOneLine(result, 2, `npm run local: ${message} (npm run local -- --help for the usage)`);
        });
    }

    it("answers a --report that names a folder before running anything, exit 2", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-folder-"));
        try {
            const result = await local(["--report", dir, "--skip-build"]);
            expectOneLine(
                result,
                2,
                `npm run local: --report ${dir}: that is a folder; give a file name (npm run local -- --help for the usage)`,
            );
            expect(result.stdout).to.equal("");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("refuses a --data folder that holds someone's files, and leaves it as it was, exit 2", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "not-data-"));
        fs.writeFileSync(path.join(dir, "thesis.tex"), "keep me");
        try {
            const result = await local(["--data", dir, "--skip-build", "--duration", "1"]);
            expectOneLine(
                result,
                2,
                `npm run local: --data ${dir}: that folder holds other files (thesis.tex); give a new or empty folder (npm run local -- --help for the usage)`,
            );
            expect(fs.readdirSync(dir)).to.deep.equal(["thesis.tex"]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("npm run local, runs", function () {
    this.timeout(240_000);
    before(async function () {
        this.timeout(120_000);
        await ensurePackage();
    });
    after(() => fs.rmSync(REPORT, { force: true }));

    it("prints its seed first, and --seed with it repeats the run's ticks", async () => {
        const first = await local(FAST);
        expect(first.status, first.stderr).to.equal(0);
        const seed = seedOf(first.stdout);
        expect(first.stdout.split("\n")[0]).to.equal(
            `local run: seed ${seed} (--seed ${seed} with the same flags repeats this run)`,
        );
        expect(first.stdout).to.include(`seed ${seed} (--seed ${seed} repeats this run)`);

        const again = await local([...FAST, "--seed", String(seed)]);
        expect(again.status, again.stderr).to.equal(0);
        expect(seedOf(again.stdout)).to.equal(seed);
        expect(symbolTable(again.stdout)).to.be.a("string").and.equal(symbolTable(first.stdout));

        const other = await local([...FAST, "--seed", String((seed + 1) % 2 ** 32)]);
        expect(symbolTable(other.stdout)).not.to.equal(symbolTable(first.stdout));
    });

    it("shows the function's logs with --function-logs, and no invocation without records", async () => {
        const result = await local([...FAST, "--function-logs"]);
        expect(result.status, result.stderr).to.equal(0);
        const logs = result.stdout
            .split("\n")
            .filter(line => line.startsWith("{") && line.includes('"received"'))
            .map(line => JSON.parse(line) as { received: number });
        expect(logs.length).to.be.greaterThan(0);
        expect(logs.map(log => log.received)).not.to.include(0);
        expect(result.stdout + result.stderr).not.to.include("NodeVersionSupportWarning");
    });

    it("stops cleanly on Ctrl-C: no function error, 'interrupted', everything produced reconciled, exit 130", async () => {
        let interrupted = false;
        const result = await local(["--rate", "50", "--duration", "60", "--skip-build", "--report", REPORT], {
            // A shell's foreground job: Ctrl-C signals the whole group, and npm forwards a second SIGINT.
            detached: true,
            onStdout: (stdout: string, child: { pid: number }) => {
                if (interrupted || !stdout.includes("producing")) return;
                interrupted = true;
                setTimeout(() => {
                    process.kill(-child.pid, "SIGINT");
                    setTimeout(() => process.kill(child.pid, "SIGINT"), 20);
                }, 2000);
            },
        });
        expect(interrupted, result.stdout).to.equal(true);
        expect(result.status, result.stderr).to.equal(130);
        expect(result.stdout).to.match(/invocations: \d+ \(0 function errors, 0 crashes, \d+ cold starts\)/);
        expect(result.stdout).to.include("interrupted: the producer was stopped early");
        expect(result.stdout + result.stderr).not.to.include("process exited");
        expect(result.stderr).not.to.include("interrupted again");
        const [line, produced, stored, rejected] =
            /^produced (\d+), stored (\d+), rejected (\d+), in failure destination 0, lost 0$/m.exec(result.stdout) ??
            [];
        expect(Number(produced), line ?? result.stdout).to.be.greaterThan(0);
        expect(Number(stored) + Number(rejected)).to.equal(Number(produced));
    });

    describe("with --data", () => {
        let dir: string;
        before(() => {
            dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "local-data-")), "kept");
        });
        after(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

        it("refuses a second run on the folder while the first runs, in one line, exit 1", async () => {
            let second: CommandResult | undefined;
            let started = false;
            const first = await local(["--data", dir, "--rate", "20", "--duration", "60", "--skip-build"], {
                detached: true,
                onStdout: (stdout: string, child: { pid: number }) => {
                    if (started || !stdout.includes("producing")) return;
                    started = true;
                    void local(["--data", dir, "--skip-build"]).then(result => {
                        second = result;
                        process.kill(-child.pid, "SIGINT");
                    });
                },
            });
            expect(first.status, first.stderr).to.equal(130);
            expect(second).not.to.equal(undefined);
            expectOneLine(
                second!,
                1,
                new RegExp(
                    `^npm run local: --data ${dir} is in use by another run \\(pid \\d+\\): wait for it to end, or give another --data folder$`,
                ),
            );
        });

        it("keeps the data for the next run, and npm run clean removes it, then the folder, and the report pages", async () => {
            const kept = path.join(path.dirname(dir), "kept-then-cleaned");
            // The report too goes into the folder (its default there), and clean takes it with the rest.
            const run = await local(["--data", kept, "--rate", "50", "--duration", "1", "--skip-build"]);
            expect(run.status, run.stderr).to.equal(0);
            expect(fs.readdirSync(kept)).to.include.members([MARKER, "kinesis", "dynamodb", "s3", "report.html"]);
            // Pages made from no data folder go to reports/ where the commands run: clean takes them too.
            const project = fs.mkdtempSync(path.join(os.tmpdir(), "project-"));
            fs.mkdirSync(path.join(project, "reports"));
            fs.writeFileSync(path.join(project, "reports", "local-run.html"), "<html></html>");
            const removed = await runTool("clean/main.ts", ["--data", kept], { cwd: project });
            expect(removed.status, removed.stderr).to.equal(0);
            expect(removed.lines[0]).to.match(new RegExp(`^removed ${kept}: [\\d.]+ MiB of disk freed$`));
            expect(removed.lines[1]).to.match(/^removed reports\/: [\d.]+ MiB of disk freed$/);
            expect(fs.existsSync(kept)).to.equal(false);
            expect(fs.existsSync(path.join(project, "reports"))).to.equal(false);
            const again = await runTool("clean/main.ts", ["--data", kept], { cwd: project });
            expect(again.stdout).to.equal(`nothing to clean: ${kept} does not exist\n`);
        });
    });
});

describe("the commands' exit", function () {
    this.timeout(180_000);

    it("comes as soon as the command is done, with its code, even with a handle left open", async () => {
        const started = Date.now();
        const result = await runScript(path.join(ROOT, "test", "support", "lingering-command.ts"), []);
        expect(result.stdout).to.equal("done, with a server still listening\n");
        expect(result.status).to.equal(3);
        expect(Date.now() - started).to.be.below(15_000);
    });

    it("comes within seconds of the summary, chaos run after chaos run", async () => {
        for (let i = 0; i < 3; i++) {
            let summaryAt = 0;
            const result = await local(
                ["--rate", "100", "--duration", "2", "--faults", "0.2", "--crash-rate", "0.05", "--skip-build"],
                {
                    onStdout: (stdout: string) => {
                        if (!summaryAt && /^produced \d+/m.test(stdout)) summaryAt = Date.now();
                    },
                },
            );
            const exitedAt = Date.now();
            expect(result.status, result.stdout + result.stderr).to.equal(0);
            expect(summaryAt, "the summary line").to.be.above(0);
            expect(exitedAt - summaryAt, `run ${i + 1}: from the summary to the exit`).to.be.below(5_000);
        }
    });
});

describe("npm run clean, when the user makes a mistake", function () {
    this.timeout(60_000);

    it("refuses a folder npm run local did not make, exit 1", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "not-data-"));
        fs.writeFileSync(path.join(dir, "thesis.tex"), "keep me");
        try {
            expectOneLine(
                await clean(["--data", dir]),
                1,
                `npm run clean: ${dir} does not look like npm run local's data (no .stock-market-pipeline-local-data in it): delete it yourself if you mean to`,
            );
            expect(fs.existsSync(path.join(dir, "thesis.tex"))).to.equal(true);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("refuses a data folder that also holds someone's files, naming them, and deletes nothing, exit 1", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mixed-data-"));
        fs.writeFileSync(path.join(dir, MARKER), "");
        fs.mkdirSync(path.join(dir, "s3"));
        fs.writeFileSync(path.join(dir, "thesis.tex"), "keep me");
        try {
            expectOneLine(
                await clean(["--data", dir]),
                1,
                `npm run clean: ${dir} also holds files npm run local did not make (thesis.tex): move them out first, or delete the folder yourself`,
            );
            expect(fs.readdirSync(dir).sort()).to.deep.equal([MARKER, "s3", "thesis.tex"].sort());
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

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

describe("the other commands, when the user makes a mistake", function () {
    this.timeout(120_000);

    it("npm run without -- before the flags: the command says npm took them, exit 2", async () => {
        const result = await runNpm(["run", "local", "--rate", "200", "--skip-build"]);
        expect(result.status).to.equal(2);
        // npm's own warnings come first; the command's line is the last.
        expect(errorLines(result).pop()).to.equal(
            "npm run local: npm took --rate, --skip-build for itself: put the command's flags after -- (npm run local -- --help for the usage)",
        );
        expect(result.stderr).not.to.match(/\n\s+at /);
    });

    it("npm run bench answers a bad flag with one line, exit 2", async () => {
        expectOneLine(
            await runTool("bench/main.ts", ["--batches", "-1"]),
            2,
            /^npm run bench: --batches: expected an integer from \d+ to \d+, got "-1" \(npm run bench -- --help for the usage\)$/,
        );
    });

    it("npm run bench answers a --cpu-prof that is a file at once, before the correctness phase, exit 2", async () => {
        const file = path.join(os.tmpdir(), `cpu-prof-file-${process.pid}`);
        fs.writeFileSync(file, "");
        try {
            const result = await runTool("bench/main.ts", ["--cpu-prof", file]);
            expectOneLine(
                result,
                2,
                `npm run bench: --cpu-prof ${file}: that is a file; give a folder (npm run bench -- --help for the usage)`,
            );
            expect(result.stdout).to.equal("");
        } finally {
            fs.rmSync(file, { force: true });
        }
    });

    it("npm run replay answers a --data folder that does not exist as a usage error, as npm run query does, exit 2", async () => {
        const missing = path.join(os.tmpdir(), `no-such-data-${process.pid}`);
        expectOneLine(
            await runTool("replay/main.ts", ["--data", missing]),
            2,
            `npm run replay: --data: ${missing} is not a folder (give the --data folder of a local run) (npm run replay -- --help for the usage)`,
        );
    });

    it("npm run build:lambda answers an argument it does not take with one line, exit 2", async () => {
        expectOneLine(
            await runTool("build-lambda/main.ts", ["--watch"]),
            2,
            "npm run build:lambda: Unknown option '--watch' (npm run build:lambda -- --help for the usage)",
        );
    });
});

describe("every command's --help", function () {
    this.timeout(180_000);
    /** Each `npm run` script that runs a tools/ file, from package.json: a new command is covered at once. */
    const { commandFiles } = packageScripts();
    const scripts = Object.entries(commandFiles).map(([name, file]) => ({ name, file }));
    /** Each command's --help, spawned once for all the tests below. */
    const helps = new Map<string, CommandResult>();

    before(async () => {
        // Two at a time: this machine has two cores.
        for (let i = 0; i < scripts.length; i += 2) {
            await Promise.all(
                scripts.slice(i, i + 2).map(async ({ name, file }) => helps.set(name, await runTool(file, ["--help"]))),
            );
        }
    });

    it("lists -h, --help and fits in 100 columns, for every command", () => {
        expect(scripts.map(script => script.name)).to.include.members(["local", "clean", "bench", "build:lambda"]);
        const problems: string[] = [];
        for (const [name, result] of helps) {
            if (result.status !== 0) problems.push(`${name}: exit ${result.status} ${result.stderr}`);
            if (!result.stdout.includes("-h, --help")) problems.push(`${name}: no -h, --help`);
            for (const line of result.stdout.split("\n"))
                if (line.length > 100) problems.push(`${name}: ${line.length} columns: ${line}`);
        }
        expect(problems).to.deep.equal([]);
    });

    it("lists every flag README.md, CONTRIBUTING.md and docs/*.md pass to the command after npm run <command> --", () => {
        const problems: string[] = [];
        let checked = 0;
        for (const page of docPages()) {
            for (const { script, flag } of flagsPassed(readPage(page))) {
                const help = helps.get(script)?.stdout;
                if (help === undefined) problems.push(`${page}: npm run ${script} -- ${flag}: ${script} has no --help`);
                else if (!helpLists(help, flag))
                    problems.push(`${page}: npm run ${script} -- ${flag}: not in npm run ${script} -- --help`);
                checked++;
            }
        }
        expect(checked, "flags found in the docs").to.be.greaterThan(0);
        expect(problems).to.deep.equal([]);
    });
});
