import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { buildLambdaPackage, PACKAGE_DIR, PACKAGE_ZIP } from "../scripts/build-lambda";
import { createLambdaSandbox, LambdaSandbox } from "../scripts/lambda-sandbox";
import { LambdaProcess } from "../scripts/lambda-process";

describe("the processor's deployment package", () => {
    let built: Awaited<ReturnType<typeof buildLambdaPackage>>;
    let sandbox: LambdaSandbox;
    before(async () => {
        built = await buildLambdaPackage();
        sandbox = createLambdaSandbox(PACKAGE_DIR);
    });
    after(() => sandbox?.remove());

    it("is written unpacked and zipped, with the handler at its root", () => {
        expect(fs.existsSync(path.join(PACKAGE_DIR, "__index.js"))).to.equal(true);
        expect(fs.statSync(PACKAGE_ZIP).size).to.equal(built.zipBytes);
    });

    it("is under 5 MiB unpacked and carries no AWS SDK, Smithy or Pulumi package", () => {
        expect(built.bytes).to.be.below(5 * 1024 * 1024);
        const scopes = fs.readdirSync(path.join(PACKAGE_DIR, "node_modules"));
        expect(scopes).to.not.include.members(["@aws-sdk", "@smithy", "@pulumi"]);
    });

    it("loads in a fresh Node.js process with only the AWS SDK on its module path and answers an empty batch", async () => {
        const lambda = await LambdaProcess.start({
            taskRoot: sandbox.taskRoot,
            nodePath: sandbox.nodePath,
            environment: { AWS_REGION: "us-east-1", TABLE_NAME: "StockMarketData", BUCKET_NAME: "stock-market-data" },
        });
        try {
            expect(await lambda.invoke({ Records: [] })).to.deep.equal({ batchItemFailures: [] });
        } finally {
            await lambda.stop();
        }
    });
});
