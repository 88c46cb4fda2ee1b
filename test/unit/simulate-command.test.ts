import { expect } from "chai";
import { failure, UsageError } from "../../harness/cli/cli";
import { parseSimulateFlags, simulateCommand } from "../../tools/simulate/command";

/** Runs the command with console.log captured; its exit code and its lines. */
async function runSimulate(argv: string[]): Promise<{ code: number; lines: string[] }> {
    const lines: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => void lines.push(args.join(" "));
    try {
        return { code: await simulateCommand.run(argv), lines: lines.join("\n").split("\n") };
    } finally {
        console.log = log;
    }
}

describe("npm run simulate (the command)", function () {
    this.timeout(60_000);

    it("prints its seed first and ends with the schedules run and no violation, exit 0", async () => {
        const { code, lines } = await runSimulate(["--runs", "5", "--seed", "42"]);
        expect(code).to.equal(0);
        expect(lines[0]).to.equal("seed 42: 5 schedules per layout (record and batch), seeds 42 to 46");
        expect(lines.some(line => /^record: 5 schedules in \d+\.\d s$/.test(line))).to.equal(true);
        expect(lines.some(line => /^batch: 5 schedules in \d+\.\d s$/.test(line))).to.equal(true);
        expect(
            lines.some(line => /^ {2}\d+ records, \d+ invocations \(\d+ by replays\), \d+ requests$/.test(line)),
        ).to.equal(true);
        expect(lines).to.include("invariants checked (times, record and batch):");
        expect(lines.some(line => /^ {2}keptLines +\d+ {2}no object ever loses a line/.test(line))).to.equal(true);
        expect(lines.some(line => line.startsWith("documented limit (counted, not violations): "))).to.equal(true);
        expect(lines.at(-1)).to.equal("10 schedules, 0 violations");
    });

    it("runs one layout when asked, and traces each schedule with --trace", async () => {
        const { code, lines } = await runSimulate(["--runs", "1", "--seed", "9", "--layout", "batch", "--trace"]);
        expect(code).to.equal(0);
        expect(lines.some(line => /^ {2}mapping: batchSize \d+/.test(line))).to.equal(true);
        expect(lines.some(line => /inv#1 s\d/.test(line))).to.equal(true);
        expect(lines.at(-1)).to.equal("1 schedule, 0 violations");
    });

    it("picks a random seed when none is given, and takes --seed as the first schedule's", () => {
        expect(parseSimulateFlags([], () => 1234)).to.deep.equal({
            runs: 2000,
            layouts: ["record", "batch"],
            seed: 1234,
            trace: false,
        });
        expect(parseSimulateFlags(["--seed", "4294967295", "--layout", "record"]).seed).to.equal(4294967295);
    });

    for (const [argv, message] of [
        [["--layout", "s3"], '--layout: expected record or batch, got "s3"'],
        [["--runs", "0"], '--runs: expected an integer from 1 to 100000000, got "0"'],
        [["--seed", "1.5"], '--seed: expected an integer from 0 to 4294967295, got "1.5"'],
        [["--seed", "-1"], '--seed: expected an integer from 0 to 4294967295, got "-1"'],
        [["--shards", "2"], "Unknown option '--shards'"],
    ] as const) {
        it(`answers ${argv.join(" ")} with one line and exit 2`, async () => {
            const error = await simulateCommand.run([...argv]).catch((e: unknown) => e);
            expect(error).to.be.instanceOf(UsageError);
            expect(failure(simulateCommand, error)).to.deep.equal({
                message: `npm run simulate: ${message} (npm run simulate -- --help for the usage)`,
                code: 2,
            });
        });
    }
});
