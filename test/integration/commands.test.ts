/**
 * The other commands' first hour: each mistake gets one line on stderr and the right exit code
 * (2 for a usage error), never a stack trace; every command's --help, and every flag the docs pass.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { Command } from "../../harness/cli/cli";
import { errorLines, projectCommands, runNpm, runTool } from "../support/commands";
import { docPages, flagsPassed, helpLists, packageScripts, readPage } from "../support/docs";
import { MARKER } from "../../harness/local-stack/data-dir";

import { clean, expectOneLine } from "../support/command-runs";

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

    it("npm run ensure:chromium answers a misspelt flag with the one it meant, before looking for Chromium, exit 2", async () => {
        const result = await runTool("ensure-chromium/main.ts", ["--hepl"]);
        expectOneLine(
            result,
            2,
            "npm run ensure:chromium: Unknown option '--hepl' (did you mean --help?) (npm run ensure:chromium -- --help for the usage)",
        );
        expect(result.stdout).to.equal("");
    });
});

describe("every command's --help", function () {
    this.timeout(60_000);
    /** Each `npm run` script that runs a tools/ file, from package.json: a new command is covered at once. */
    const { commandFiles } = packageScripts();
    /** Each command as runCommand runs it, loaded in this process: its --help is its help text. */
    let commands: Map<string, Command>;
    before(() => {
        commands = projectCommands(commandFiles);
    });

    it("is the help of every command, listing -h, --help, within 100 columns", () => {
        expect([...commands.keys()].sort()).to.deep.equal(Object.keys(commandFiles).sort());
        expect([...commands.keys()]).to.include.members(["local", "clean", "bench", "build:lambda"]);
        const problems: string[] = [];
        for (const [name, { help }] of commands) {
            if (!help.includes("-h, --help")) problems.push(`${name}: no -h, --help`);
            for (const line of help.split("\n"))
                if (line.length > 100) problems.push(`${name}: ${line.length} columns: ${line}`);
        }
        expect(problems).to.deep.equal([]);
    });

    it("lists every flag README.md, CONTRIBUTING.md and docs/*.md pass to the command after npm run <command> --", () => {
        const problems: string[] = [];
        let checked = 0;
        for (const page of docPages()) {
            for (const { script, flag } of flagsPassed(readPage(page))) {
                const help = commands.get(script)?.help;
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
