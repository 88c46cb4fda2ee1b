/**
 * The commands end as soon as they are done: with a handle left open, and chaos run after chaos run.
 */
import * as path from "path";
import { expect } from "chai";
import { ROOT, runScript } from "../support/commands";

import { local, REPORT } from "../support/command-runs";

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
                // Short runs, with more faults and crashes than the chaos run so that each sees some.
                [
                    "--rate",
                    "50",
                    "--duration",
                    "1",
                    "--faults",
                    "0.3",
                    "--crash-rate",
                    "0.3",
                    "--skip-build",
                    "--report",
                    REPORT,
                ],
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
