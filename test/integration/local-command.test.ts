/**
 * `npm run local` as a user runs it: each mistake gets one line and exit 2 (in-process, as
 * runCommand prints it), a run prints its seed and can be repeated from it, Ctrl-C ends it cleanly,
 * and a data folder is kept and cleaned.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { failure } from "../../harness/cli/cli";
import { producerFlags } from "../../harness/cli/producer-flags";
import { runLocalPipeline } from "../../harness/local-stack/pipeline";
import { localCommand } from "../../tools/local/command";
import { replayCommandWith } from "../../tools/replay/command";
import { CommandResult, runInProcess, runTool } from "../support/commands";
import { ensurePackage } from "../support/package";
import { MARKER } from "../../harness/local-stack/data-dir";

import { local, expectOneLine, symbolTable, runSeedOf, REPORT, BARS, FAST } from "../support/command-runs";

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
        // In-process, with an empty folder for the package: moving dist/processor aside would
        // break the tests that run it meanwhile.
        let empty: string;
        before(() => {
            empty = fs.mkdtempSync(path.join(os.tmpdir(), "no-package-"));
        });
        after(() => fs.rmSync(empty, { recursive: true, force: true }));
        const noPackage = () =>
            `--skip-build: there is no package in ${empty}/ yet: run npm run build:lambda once, or leave out --skip-build`;

        it("says to build the package first, before starting anything, exit 1", async () => {
            const logged: string[] = [];
            const run = runLocalPipeline({
                ...producerFlags({ rate: "50", duration: "1", shards: "1" }),
                build: false,
                packageDir: empty,
                log: line => logged.push(line),
            });
            const error = await run.then(
                () => undefined,
                (thrown: unknown) => thrown,
            );
            expect(failure(localCommand, error)).to.deep.equal({ message: `npm run local: ${noPackage()}`, code: 1 });
            expect(logged).to.deep.equal([]);
        });

        it("npm run replay -- --data DIR --skip-build says the same, before starting the emulators, exit 1", async () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "replay-no-package-"));
            try {
                fs.writeFileSync(path.join(dir, MARKER), "");
                fs.mkdirSync(path.join(dir, "kinesis"));
                fs.writeFileSync(path.join(dir, "failures.jsonl"), "");
                const result = await runInProcess(replayCommandWith({ packageDir: empty }), [
                    "--data",
                    dir,
                    "--skip-build",
                ]);
                expect(result).to.deep.equal({ code: 1, stdout: [], errorLine: `npm run replay: ${noPackage()}` });
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
    // In-process: the line runCommand prints, without loading the whole command in a process
    // of its own each time (one spawned mistake below shows the process's exit and output).
    for (const [what, args, message] of usageErrors) {
        it(`answers ${what} with one line and exit 2`, async () => {
            const result = await runInProcess(localCommand, [...args, "--skip-build"]);
            expect(result).to.deep.equal({
                code: 2,
                stdout: [],
                errorLine: `npm run local: ${message} (npm run local -- --help for the usage)`,
            });
        });
    }

    it("answers a --report that names a folder before running anything, in one line on stderr and exit 2", async () => {
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
            const result = await runInProcess(localCommand, ["--data", dir, "--skip-build", "--duration", "1"]);
            expect(result.errorLine).to.equal(
                `npm run local: --data ${dir}: that folder holds other files (thesis.tex); give a new or empty folder (npm run local -- --help for the usage)`,
            );
            expect(result.code).to.equal(2);
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

    it("prints its seed first, and --seed with it repeats the run's ticks; --function-logs shows the function's logs", async () => {
        const first = await local([...FAST, "--function-logs"]);
        expect(first.status, first.stderr).to.equal(0);
        const seed = runSeedOf(first.stdout);
        expect(first.stdout.split("\n")[0]).to.equal(
            `local run: seed ${seed} (--seed ${seed} with the same flags repeats this run)`,
        );
        expect(first.stdout).to.include(`seed ${seed} (--seed ${seed} repeats this run)`);
        // The function's own JSON log line per invocation, and no invocation without records.
        const logs = first.stdout
            .split("\n")
            .filter(line => line.startsWith("{") && line.includes('"received"'))
            .map(line => JSON.parse(line) as { received: number });
        expect(logs.length).to.be.greaterThan(0);
        expect(logs.map(log => log.received)).not.to.include(0);
        expect(first.stdout + first.stderr).not.to.include("NodeVersionSupportWarning");

        const again = await local([...FAST, "--seed", String(seed)]);
        expect(again.status, again.stderr).to.equal(0);
        expect(runSeedOf(again.stdout)).to.equal(seed);
        expect(symbolTable(again.stdout)).to.be.a("string").and.equal(symbolTable(first.stdout));

        const other = await local([...FAST, "--seed", String((seed + 1) % 2 ** 32)]);
        expect(symbolTable(other.stdout)).not.to.equal(symbolTable(first.stdout));
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
