import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { planCommand } from "../../tools/plan/command";
import { errorLines, runCommandHere } from "../support/commands";

const STREAM = "arn:aws:kinesis:us-east-1:123456789012:stream/stock-market-stream";
/** No AWS or Pulumi credentials of any kind: the plan must not need them. */
const NO_CREDENTIALS = {
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_CONFIG_FILE: "/nonexistent",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent",
    PULUMI_ACCESS_TOKEN: undefined,
};
/** In this process (each program run under mocks then takes a fraction of a second), as the command prints it. */
const plan = (...args: string[]) => runCommandHere(planCommand, args, NO_CREDENTIALS);

describe("npm run plan, as a user runs it", function () {
    this.timeout(150_000);
    let dir: string;
    /** A stack file with the given lines under config:, in a folder of its own. */
    const stackFile = (name: string, ...config: string[]) => {
        const file = path.join(dir, `Pulumi.${name}.yaml`);
        fs.writeFileSync(file, `config:\n${config.map(line => `  ${line}\n`).join("")}`);
        return file;
    };
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("prints the dev stack's resources as a tree, with no cloud credentials, and exits 0", async () => {
        const result = await plan("--stack", "dev");
        expect(result.status, result.stderr).to.equal(0);
        // The placeholder account is only a warning in a plan, as in pulumi preview (pulumi up refuses it).
        expect(errorLines(result)).to.deep.equal([
            `warning: config stock-market-pipeline:streamArn: the stream ${STREAM} is in account 123456789012, the one AWS's documentation uses in its examples: set the ARN of yours (pulumi up refuses it; a preview only warns)`,
        ]);
        expect(result.stdout).to.match(/^stack dev \(Pulumi.yaml \+ Pulumi.dev.yaml\), aws:region us-east-1:/);
        expect(result.stdout).to.match(/pulumi:pulumi:Stack\s+stock-market-pipeline-dev/);
        // Pulumi.dev.yaml's own values: the table's name and a log retention of 14 days.
        expect(result.stdout).to.include("name StockMarketData; key symbol S (hash) + timestamp S (range)");
        expect(result.stdout).to.include("retention 14 days");
        expect(result.stdout).to.include("nodejs22.x, arm64, memory 512 MB");
        expect(result.stdout).to.match(/Resources: \d+ to create/);
    });

    it("prints every config problem, one line per key, and exits 1", async () => {
        const file = stackFile(
            "bad",
            "aws:region: us-east-1",
            `stock-market-pipeline:streamArn: ${STREAM}`,
            "stock-market-pipeline:batchSize: 0",
            "stock-market-pipeline:memorySize: 1",
        );
        const result = await plan("--config-file", file);
        expect(result.status).to.equal(1);
        expect(result.stdout).to.equal("");
        expect(errorLines(result)).to.deep.equal([
            `npm run plan: Pulumi.yaml + ${file}: 2 config problems`,
            'config stock-market-pipeline:batchSize: expected an integer from 1 to 10000, got "0"',
            'config stock-market-pipeline:memorySize: expected an integer from 128 to 10240, got "1"',
        ]);
    });

    it("suggests batchSize for batchsize", async () => {
        const file = stackFile(
            "typo",
            "aws:region: us-east-1",
            `stock-market-pipeline:streamArn: ${STREAM}`,
            "stock-market-pipeline:batchsize: 500",
        );
        const result = await plan("--config-file", file);
        expect(result.status).to.equal(1);
        expect(errorLines(result)[1]).to.equal(
            "config stock-market-pipeline:batchsize: unknown key: did you mean batchSize?",
        );
    });

    it("says so when streamArn is in another region than aws:region", async () => {
        const file = stackFile("region", "aws:region: eu-west-1", `stock-market-pipeline:streamArn: ${STREAM}`);
        const result = await plan("--config-file", file);
        expect(result.status).to.equal(1);
        expect(errorLines(result)[1]).to.match(
            /^config stock-market-pipeline:streamArn: the stream is in us-east-1 but the stack deploys to aws:region eu-west-1/,
        );
    });

    it("answers a missing --stack with one line and exit 2", async () => {
        const result = await plan();
        expect(result.status).to.equal(2);
        expect(errorLines(result)).to.deep.equal([
            "npm run plan: --stack: which stack? e.g. --stack dev (reads Pulumi.dev.yaml) (npm run plan -- --help for the usage)",
        ]);
    });

    it("answers a --config-file that does not exist with one line, exit 2, as a --stack without its file", async () => {
        const missing = path.join(dir, "Pulumi.missing.yaml");
        const result = await plan("--config-file", missing);
        expect(result.status).to.equal(2);
        expect(errorLines(result)).to.deep.equal([
            `npm run plan: --config-file ${missing}: no such file (npm run plan -- --help for the usage)`,
        ]);
    });

    it("answers a stack that has no file with one line naming the stacks there, exit 2", async () => {
        const result = await plan("--stack", "staging");
        expect(result.status).to.equal(2);
        expect(errorLines(result)).to.deep.equal([
            "npm run plan: --stack staging: no Pulumi.staging.yaml next to Pulumi.yaml (stacks: dev, prod) (npm run plan -- --help for the usage)",
        ]);
    });

    it("plans the prod stack offline: versioning, the alarm topic's key and policy, the cap", async () => {
        const result = await plan("--stack", "prod");
        expect(result.status, result.stderr).to.equal(0);
        expect(result.stdout).to.match(
            /aws:s3:BucketVersioning\s+storage-records-versioning {2}\[retainOnDelete\]\n.*versioning Enabled/,
        );
        expect(result.stdout).to.include("expire-old-versions: old versions expire after 30 days");
        expect(result.stdout).to.match(/aws:kms:Key\s+processor-alarms-key\n.*rotation on/);
        expect(result.stdout).to.include("encryption KMS, key <processor-alarms-key.arn>");
        expect(result.stdout).to.match(
            /StackAlarmsPublish: Allow sns:Publish to cloudwatch.amazonaws.com on <processor-alarms.arn> when aws:SourceAccount/,
        );
        expect(result.stdout).to.include("at most 8 concurrent executions (reserved concurrency)");
        expect(result.stdout).to.include("OBJECT_LAYOUT=batch");
    });

    it("warns when the concurrency cap is below the stream's shards", async () => {
        const result = await plan("--stack", "prod", "--shards", "12");
        expect(result.status).to.equal(0);
        expect(result.stderr).to.include(
            "warning: config stock-market-pipeline:reservedConcurrency: 8 is below what the event source mapping runs at once, 12",
        );
    });

    it("prints the monthly bill with --rate, its total growing with the rate", async () => {
        const totalOf = (stdout: string) => Number(/^total\s+\$([\d,.]+)$/m.exec(stdout)![1].replace(/,/g, ""));
        const low = await plan("--stack", "prod", "--rate", "1000");
        const high = await plan("--stack", "prod", "--rate", "10000", "--shards", "10");
        expect(low.status, low.stderr).to.equal(0);
        expect(low.stdout).to.match(/^monthly bill of stack prod, at us-east-1 list prices of \d{4}-\d{2}/);
        for (const section of ["fixed (whatever the rate)", "per tick (grows with the rate)", "storage ("])
            expect(low.stdout).to.include(section);
        expect(low.stdout).to.include("Kinesis: the stream is module 1's");
        expect(totalOf(high.stdout)).to.be.greaterThan(totalOf(low.stdout));
    });

    it("prints the deploy role's policy with --permissions deploy, as JSON", async () => {
        const result = await plan("--stack", "prod", "--permissions", "deploy");
        expect(result.status, result.stderr).to.equal(0);
        const policy = JSON.parse(result.stdout) as { Statement: { Sid: string }[] };
        expect(policy.Statement.map(s => s.Sid)).to.include.members([
            "ManageTable",
            "ManageFunction",
            "LookUpTheStream",
        ]);
    });

    it("answers a bad bill flag with one line and exit 2", async () => {
        const result = await plan("--stack", "prod", "--rate", "1000", "--bad-ratio", "2");
        expect(result.status).to.equal(2);
        expect(errorLines(result)).to.deep.equal([
            'npm run plan: --bad-ratio: expected a number from 0 to 1, got "2" (npm run plan -- --help for the usage)',
        ]);
    });
});
