/**
 * The documentation names only what exists: `npm run` scripts, links and the headings they point
 * at, and project paths. Every problem is listed with its page, so a failure says what to fix.
 * (That each flag a page passes to a command is in the command's --help is checked in
 * test/integration/commands.test.ts, which may spawn the commands.)
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import {
    docPages,
    flagsPassed,
    headingAnchors,
    helpLists,
    isExternal,
    linkTargets,
    npmScriptsNamed,
    packageScripts,
    projectPathsNamed,
    readPage,
} from "../support/docs";
import { ROOT } from "../support/commands";

describe("the documentation (README.md, CONTRIBUTING.md, docs/*.md)", () => {
    const pages = docPages();

    it("has a README, a CONTRIBUTING.md and at least four pages in docs/", () => {
        expect(pages).to.include.members(["README.md", "CONTRIBUTING.md"]);
        expect(pages.filter(page => page.startsWith("docs/"))).to.have.length.of.at.least(4);
    });

    it("keeps the README to 250 lines, with its Deploy heading in the first 120", () => {
        const lines = readPage("README.md").split("\n");
        if (lines.at(-1) === "") lines.pop();
        expect(lines.length, "README.md: lines").to.be.at.most(250);
        const deploy = lines.findIndex(line => /^## Deploy\b/.test(line));
        expect(deploy, "README.md: the line of its ## Deploy heading").to.be.within(0, 119);
    });

    it("names only npm run scripts that package.json defines", () => {
        const { names } = packageScripts();
        const missing = pages.flatMap(page =>
            npmScriptsNamed(readPage(page))
                .filter(name => !names.includes(name))
                .map(name => `${page}: npm run ${name} is not a script in package.json`),
        );
        expect(missing).to.deep.equal([]);
    });

    it("links only to files that exist, and to headings that exist in them", () => {
        const problems: string[] = [];
        for (const page of pages) {
            for (const target of linkTargets(readPage(page))) {
                if (isExternal(target)) continue;
                const [file, anchor] = target.split("#", 2);
                const linked = file === "" ? page : path.normalize(path.join(path.dirname(page), file));
                if (!fs.existsSync(path.join(ROOT, linked))) {
                    problems.push(`${page}: links to ${target}, but there is no ${linked}`);
                    continue;
                }
                if (anchor !== undefined && !headingAnchors(readPage(linked)).has(anchor))
                    problems.push(`${page}: links to ${target}, but ${linked} has no heading #${anchor}`);
            }
        }
        expect(problems).to.deep.equal([]);
    });

    it("names only project paths that exist", () => {
        const missing = pages.flatMap(page =>
            projectPathsNamed(readPage(page))
                .filter(named => !fs.existsSync(path.join(ROOT, named)))
                .map(named => `${page}: names ${named}, which does not exist`),
        );
        expect(missing).to.deep.equal([]);
    });

    it("draws every command of tools/ in its own box in docs/architecture.md's structure drawing", () => {
        const drawing = readPage("docs/architecture.md");
        const commands = fs.readdirSync(path.join(ROOT, "tools"));
        const undrawn = commands.filter(command => !drawing.includes(`│${command}│`));
        expect(undrawn, "tools/ commands missing from docs/architecture.md's drawing").to.deep.equal([]);
    });

    it("links every page in docs/ from the README", () => {
        const linked = new Set(linkTargets(readPage("README.md")).map(target => target.split("#")[0]));
        const unlinked = pages.filter(page => page.startsWith("docs/") && !linked.has(page));
        expect(unlinked, "docs/ pages the README does not link").to.deep.equal([]);
    });
});

describe("reading the documentation (test/support/docs.ts)", () => {
    it("finds the npm run scripts a page names, in prose and code, without a message's colon", () => {
        const page = [
            "Run `npm run local -- --rate 200`, then npm run clean.",
            "```",
            "npm run local: --data x: that is a file",
            "npm run -s test:unit",
            "```",
            "`npm run` alone names nothing, nor does npm run X or npm run <command>.",
        ].join("\n");
        expect(npmScriptsNamed(page)).to.deep.equal(["local", "clean", "test:unit"]);
    });

    it("finds the flags passed after npm run X --, across continued lines, up to a comment or a pipe", () => {
        const page = [
            "Try `npm run query -- --data DIR --named latest-price`.",
            "```bash",
            "AWS_PROFILE=dev npm run produce -- \\",
            "  --stream-arn arn:aws:kinesis:us-east-1:1:stream/s --rate 50   # not --this",
            'npm run query -- --athena-workgroup "$(pulumi stack output --json)" | npm run report -- --out x',
            "npm run local --rate 200",
            "```",
        ].join("\n");
        expect(flagsPassed(page)).to.deep.equal([
            { script: "produce", flag: "--stream-arn" },
            { script: "produce", flag: "--rate" },
            { script: "query", flag: "--athena-workgroup" },
            { script: "report", flag: "--out" },
            { script: "query", flag: "--data" },
            { script: "query", flag: "--named" },
        ]);
    });

    it("finds links outside code only, and makes headings' anchors as GitHub does", () => {
        const page = [
            "# Operating",
            "See [deploy](deploy.md#permissions), ![a picture](report.png) and [AWS](https://aws.amazon.com/).",
            "`[not a link](nowhere.md)`",
            "```",
            "# not a heading [nor a link](nowhere.md)",
            "```",
            "## Replay what was given up: `npm run replay`",
            "## Chaos: faults and crashes",
            "## Chaos: faults and crashes",
        ].join("\n");
        expect(linkTargets(page)).to.deep.equal(["deploy.md#permissions", "report.png", "https://aws.amazon.com/"]);
        expect([...headingAnchors(page)]).to.deep.equal([
            "operating",
            "replay-what-was-given-up-npm-run-replay",
            "chaos-faults-and-crashes",
            "chaos-faults-and-crashes-1",
        ]);
    });

    it("takes as project paths only code spans inside the project's folders", () => {
        const page = "`harness/sink/`, `pipeline/schema.ts`, `tools/<command>/main.ts`, `dist/processor/`, `raw/`";
        expect(projectPathsNamed(page)).to.deep.equal(["harness/sink/", "pipeline/schema.ts"]);
    });

    it("finds a flag in a help text only as a word of its own", () => {
        const help = "  --data DIR   a folder\n  --data-dir X\n  -h, --help   this text";
        expect(helpLists(help, "--data")).to.equal(true);
        expect(helpLists(help, "--help")).to.equal(true);
        expect(helpLists(help, "--dat")).to.equal(false);
        expect(helpLists(help, "--dir")).to.equal(false);
    });
});
