import * as fs from "fs";
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
        for (const target of [
            "../../harness/aws/emulators",
            "../../tools/local/main",
            "../../test/support/kinesis-events",
        ]) {
            const violations = await importViolations("pipeline/infra/storage.ts", `import "${target}";\n`);
            expect(violations, target).to.have.length.above(0);
        }
        expect(await importViolations("pipeline/schema.ts", 'import "../index";\n')).to.have.length(1);
    });

    it("let the harness import the pipeline but not the tools", async () => {
        expect(await importViolations("harness/aws/resources.ts", 'import "../../pipeline/schema";\n')).to.deep.equal(
            [],
        );
        expect(await importViolations("harness/aws/resources.ts", 'import "../../tools/local/main";\n')).to.have.length(
            1,
        );
    });

    it("let the tools import the harness and the pipeline, and the deploy-time code import its runtime", async () => {
        expect(
            await importViolations(
                "tools/local/main.ts",
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

describe("the commands (tools/)", function () {
    this.timeout(20_000);
    const entries = fs.readdirSync(path.join(ROOT, "tools"), { withFileTypes: true });

    it("are one folder each, with its entry main.ts, and nothing else at the top of tools/", () => {
        expect(entries.filter(entry => !entry.isDirectory()).map(entry => entry.name)).to.deep.equal([]);
        for (const folder of entries)
            expect(fs.existsSync(path.join(ROOT, "tools", folder.name, "main.ts")), folder.name).to.equal(true);
    });

    it("are what every npm run script of the project starts, at a main.ts", () => {
        const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<
            string,
            string
        >;
        const started = Object.values(scripts).flatMap(script => [...script.matchAll(/tools\/(\S+)/g)].map(m => m[1]));
        expect(started.filter(file => !/^[a-z-]+\/main\.ts$/.test(file))).to.deep.equal([]);
    });

    it("import no other command's folder", async () => {
        for (const code of ['import "../report/html";\n', 'import "../../tools/query/command";\n'])
            expect(await importViolations("tools/local/main.ts", code), code).to.have.length(1);
        expect(await importViolations("tools/local/main.ts", 'import "../../harness/cli/cli";\n')).to.deep.equal([]);
    });
});

describe("the project's names", () => {
    it("give no two exported functions, classes or constants the same name", () => {
        // Stack outputs (index.ts) are named after what they show; tests name their own helpers.
        const files = ["pipeline", "harness", "tools", "test/support"].flatMap(folder =>
            fs
                .readdirSync(path.join(ROOT, folder), { recursive: true, encoding: "utf8" })
                .filter(file => file.endsWith(".ts"))
                .map(file => path.join(folder, file)),
        );
        const where = new Map<string, string[]>();
        for (const file of files) {
            const source = fs.readFileSync(path.join(ROOT, file), "utf8");
            for (const [, name] of source.matchAll(/^export (?:async )?(?:function|class|const|let) (\w+)/gm))
                // Overloads of one function repeat its name in its own file: count files.
                if (!where.get(name)?.includes(file)) where.set(name, [...(where.get(name) ?? []), file]);
        }
        const twice = [...where]
            .filter(([, places]) => places.length > 1)
            .map(([name, places]) => `${name}: ${places}`);
        expect(twice).to.deep.equal([]);
    });
});
