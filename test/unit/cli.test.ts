import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import {
    displayPath,
    failure,
    numberFlag,
    outputFile,
    outputFolder,
    parseFlags,
    seedFlag,
    suggestion,
    UsageError,
    UserError,
    writeOrExplain,
} from "../../harness/cli/cli";

const OPTIONS = { rate: { type: "string" }, quiet: { type: "boolean" } } as const;
const command = { name: "npm run local" };

describe("the commands' flags", () => {
    it("take a negative number as a flag's value, so the range check can answer it", () => {
        expect(parseFlags(["--rate", "-5"], OPTIONS)).to.deep.include({ rate: "-5" });
        expect(parseFlags(["--rate", "-.5"], OPTIONS)).to.deep.include({ rate: "-.5" });
        expect(() => numberFlag(parseFlags(["--rate", "-5"], OPTIONS), "rate", 0.1, 100)).to.throw(
            UsageError,
            '--rate: expected a number from 0.1 to 100, got "-5"',
        );
    });

    it("still refuse a missing value and an unknown flag, as usage errors in one line", () => {
        expect(() => parseFlags(["--rate", "--quiet"], OPTIONS)).to.throw(
            UsageError,
            /^Option '--rate <value>' argument missing$/,
        );
        expect(() => parseFlags(["--rate"], OPTIONS)).to.throw(
            UsageError,
            /^Option '--rate <value>' argument missing$/,
        );
        expect(() => parseFlags(["--nope"], OPTIONS)).to.throw(UsageError, /^Unknown option '--nope'$/);
    });

    it("answer a misspelt flag with the closest one, whatever the command", () => {
        const local = {
            duration: { type: "string" },
            "bad-ratio": { type: "string" },
            seed: { type: "string" },
        } as const;
        expect(() => parseFlags(["--duraton", "5"], local)).to.throw(
            UsageError,
            /^Unknown option '--duraton' \(did you mean --duration\?\)$/,
        );
        expect(() => parseFlags(["--bad_ratio=0.1"], local)).to.throw(UsageError, /\(did you mean --bad-ratio\?\)$/);
        expect(() => parseFlags(["--hepl"], {})).to.throw(UsageError, /\(did you mean --help\?\)$/);
    });

    it("suggest the closest of a list of names, and nothing when none is close", () => {
        const queries = ["latest-price", "ohlc-minute", "ohlc-day"];
        expect(suggestion("ohlc_minute", queries)).to.equal(" (did you mean ohlc-minute?)");
        expect(suggestion("volume-by-hour", queries)).to.equal("");
    });

    describe("run by npm without -- before the flags", () => {
        const saved = { ...process.env };
        afterEach(() => {
            for (const name of ["npm_lifecycle_event", "npm_config_rate", "npm_config_quiet"]) {
                if (saved[name] === undefined) delete process.env[name];
                else process.env[name] = saved[name];
            }
        });

        it("say that npm took the flags, rather than run without them", () => {
            // What `npm run local --rate 200 --quiet` leaves the command: the flags as npm config, "200" as an argument.
            Object.assign(process.env, {
                npm_lifecycle_event: "local",
                npm_config_rate: "true",
                npm_config_quiet: "true",
            });
            expect(() => parseFlags(["200"], OPTIONS)).to.throw(
                UsageError,
                /^npm took --rate, --quiet for itself: put the command's flags after --$/,
            );
        });
    });

    it("refuse a fractional value where an integer is expected", () => {
        expect(() => numberFlag({ shards: "1.5" }, "shards", 1, 500, true)).to.throw(
            /expected an integer from 1 to 500/,
        );
    });

    it("take the seed given, or draw one when none is (which the command then prints)", () => {
        expect(seedFlag({ seed: "42" })).to.equal(42);
        expect(seedFlag({ seed: "0" }, () => 0.5)).to.equal(0);
        expect(seedFlag({}, () => 0.5)).to.equal(2 ** 30);
        expect(seedFlag({}, () => 0.9999999999)).to.equal(2 ** 31 - 1);
        expect(() => seedFlag({ seed: "-1" })).to.throw(UsageError, /--seed: expected an integer from 0 to 2147483647/);
        expect(() => seedFlag({ seed: "1.5" })).to.throw(UsageError, /--seed/);
    });
});

describe("how a command ends on an error", () => {
    it("answers a usage error with one line naming the command and --help, exit 2", () => {
        expect(failure(command, new UsageError("--rate: bad"))).to.deep.equal({
            message: "npm run local: --rate: bad (npm run local -- --help for the usage)",
            code: 2,
        });
    });

    it("answers another user mistake with one line, exit 1", () => {
        expect(failure(command, new UserError("no package: run npm run build:lambda"))).to.deep.equal({
            message: "npm run local: no package: run npm run build:lambda",
            code: 1,
        });
    });

    it("keeps the stack of an unexpected error, so a bug can be found", () => {
        const { message, code } = failure(command, new TypeError("x is undefined"));
        expect(message).to.match(/^TypeError: x is undefined\n\s+at /);
        expect(code).to.equal(1);
    });
});

describe("the paths a command prints", () => {
    it("are relative inside the current folder, absolute outside it, never a climb", () => {
        expect(displayPath("/work/repo/report.html", "/work/repo")).to.equal("report.html");
        expect(displayPath("/work/repo/dist/processor", "/work/repo")).to.equal("dist/processor");
        expect(displayPath("report.html", "/work/repo")).to.equal("report.html");
        expect(displayPath("/work/repo", "/work/repo")).to.equal(".");
        expect(displayPath("/work/ld/report.html", "/work/repo")).to.equal("/work/ld/report.html");
        expect(displayPath("../ld/report.html", "/work/repo")).to.equal("/work/ld/report.html");
    });
});

describe("the files and folders a command writes, checked before it starts", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "cli-out-"));
        fs.writeFileSync(path.join(dir, "a-file"), "");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("take a file in an existing or a missing folder, and return its absolute path", () => {
        expect(outputFile("out", path.join(dir, "page.html"))).to.equal(path.join(dir, "page.html"));
        expect(outputFile("out", path.join(dir, "new", "deeper", "page.html"))).to.equal(
            path.join(dir, "new", "deeper", "page.html"),
        );
        expect(outputFolder("cpu-prof", path.join(dir, "profiles"))).to.equal(path.join(dir, "profiles"));
    });

    it("refuse a folder where a file is wanted, and a file where a folder is wanted, as usage errors", () => {
        expect(() => outputFile("out", dir)).to.throw(UsageError, `--out ${dir}: that is a folder; give a file name`);
        const file = path.join(dir, "a-file");
        expect(() => outputFolder("cpu-prof", file)).to.throw(
            UsageError,
            `--cpu-prof ${file}: that is a file; give a folder`,
        );
    });

    it("refuse a path whose folders would have to go through a file, naming the file", () => {
        const file = path.join(dir, "a-file");
        expect(() => outputFile("out", path.join(file, "x.html"))).to.throw(
            UsageError,
            `--out ${path.join(file, "x.html")}: ${file} is a file, not a folder`,
        );
        expect(() => outputFolder("cpu-prof", path.join(file, "sub"))).to.throw(UsageError, /is a file, not a folder$/);
    });

    it("turn a write that fails all the same into one line naming the file", () => {
        const target = path.join(dir, "a-file", "x.html");
        expect(() => writeOrExplain(target, () => fs.writeFileSync(target, "x"))).to.throw(
            UserError,
            `cannot write ${target}: ENOTDIR: not a directory`,
        );
        expect(() => writeOrExplain(target, () => JSON.parse("{"))).to.throw(SyntaxError);
    });
});
