import { expect } from "chai";
import { failure, numberFlag, parseFlags, UsageError, UserError } from "../../tools/cli";

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
