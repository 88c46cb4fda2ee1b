import * as path from "path";
import { expect } from "chai";
import { ESLint } from "eslint";

const ROOT = path.resolve(__dirname, "..", "..");

/** The no-restricted-imports messages ESLint gives `code` as if it were the file at `file`. */
async function importViolations(file: string, code: string): Promise<string[]> {
    const [result] = await new ESLint({ cwd: ROOT }).lintText(code, { filePath: path.join(ROOT, file) });
    return result.messages.filter(m => m.ruleId === "no-restricted-imports").map(m => m.message);
}

describe("the architecture's import rules (ESLint)", function () {
    this.timeout(20_000);

    it("keep @pulumi/* out of the Lambda's runtime code", async () => {
        expect(await importViolations("pipeline/runtime/handler.ts", 'import "@pulumi/pulumi";\n')).to.have.length(1);
        expect(
            await importViolations(
                "pipeline/runtime/tick.ts",
                'import * as aws from "@pulumi/aws";\nexport { aws };\n',
            ),
        ).to.have.length(1);
    });

    it("keep the deploy-time components out of the runtime code", async () => {
        expect(await importViolations("pipeline/runtime/batch.ts", 'import "../infra/config";\n')).to.have.length(1);
    });

    it("let pipeline/ import nothing from the harness, the tools or the tests", async () => {
        for (const target of ["../../harness/aws/emulators", "../../tools/cli", "../../test/support/kinesis-events"]) {
            const violations = await importViolations("pipeline/infra/storage.ts", `import "${target}";\n`);
            expect(violations, target).to.have.length.above(0);
        }
        expect(await importViolations("pipeline/schema.ts", 'import "../index";\n')).to.have.length(1);
    });

    it("let the harness import the pipeline but not the tools", async () => {
        expect(await importViolations("harness/aws/resources.ts", 'import "../../pipeline/schema";\n')).to.deep.equal(
            [],
        );
        expect(await importViolations("harness/aws/resources.ts", 'import "../../tools/cli";\n')).to.have.length(1);
    });

    it("let the tools import the harness and the pipeline, and the deploy-time code import its runtime", async () => {
        expect(
            await importViolations(
                "tools/local/run.ts",
                'import "../../harness/aws/emulators";\nimport "../../pipeline/schema";\n',
            ),
        ).to.deep.equal([]);
        expect(
            await importViolations(
                "pipeline/infra/processor.ts",
                'import "../runtime/handler";\nimport "../schema";\n',
            ),
        ).to.deep.equal([]);
    });
});
