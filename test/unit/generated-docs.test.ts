// The parts of docs/production.md and docs/security.md generated from the code.
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { fillBlocks, generatedBlocks, PRODUCTION_PAGE, SECURITY_PAGE } from "../../harness/docs/generated";

const ROOT = path.resolve(__dirname, "..", "..");

describe("the generated parts of the production and security pages", function () {
    this.timeout(30_000);
    let blocks: Record<string, Record<string, string>>;
    before(async () => {
        blocks = await generatedBlocks();
    });

    for (const page of [PRODUCTION_PAGE, SECURITY_PAGE]) {
        it(`are in step with the code in ${page} (npm run config-docs)`, () => {
            const text = fs.readFileSync(path.join(ROOT, page), "utf8");
            expect(text, `${page} is stale: run npm run config-docs`).to.equal(fillBlocks(page, text, blocks[page]));
        });
    }

    it("give both CI roles' trust policies, main only for deploy, pull requests for preview", () => {
        const deploy = JSON.parse(blocks[PRODUCTION_PAGE]["deploy-trust-policy"].replace(/^```json\n|\n```$/g, ""));
        const preview = JSON.parse(blocks[PRODUCTION_PAGE]["preview-trust-policy"].replace(/^```json\n|\n```$/g, ""));
        const subject = (policy: any) =>
            policy.Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"];
        expect(subject(deploy)).to.equal("repo:OWNER/stock-market-pipeline:ref:refs/heads/main");
        expect(subject(preview)).to.equal("repo:OWNER/stock-market-pipeline:pull_request");
    });

    it("say which prices the bill is at: us-east-1 list prices of a date", () => {
        expect(blocks[PRODUCTION_PAGE]["prod-bill"]).to.match(/at us-east-1 list prices of \d{4}-\d{2}/);
    });

    it("refuse a page that lost a block's markers, naming the block", () => {
        expect(() => fillBlocks("x.md", "no markers", { controls: "table" })).to.throw(
            "x.md has no block controls: add <!-- generated: controls (npm run config-docs) --> … <!-- end: controls -->",
        );
    });
});
