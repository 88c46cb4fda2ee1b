import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { runProgram, runProgramAsStack, STREAM_ARN } from "../../harness/pulumi/program-under-mocks";
import { UserError } from "../../harness/cli/cli";
import { readStackConfig, stackFile } from "../../harness/pulumi/stack-files";
import { displayType, formatPlan } from "../../harness/pulumi/tree";

const ROOT = path.resolve(__dirname, "..", "..");

describe("npm run plan: reading a stack's config as the Pulumi CLI passes it", () => {
    let dir: string;
    const write = (text: string) => {
        const file = path.join(dir, "Pulumi.t.yaml");
        fs.writeFileSync(file, text);
        return file;
    };
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-config-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("applies Pulumi.yaml's defaults, then the stack's values as strings", () => {
        const { config, problems } = readStackConfig(
            ROOT,
            write(
                "config:\n  aws:region: eu-west-1\n  stock-market-pipeline:batchSize: 500\n  stock-market-pipeline:dayIndex: true\n",
            ),
        );
        expect(problems).to.deep.equal([]);
        expect(config).to.include({
            "aws:region": "eu-west-1",
            "stock-market-pipeline:batchSize": "500",
            "stock-market-pipeline:dayIndex": "true",
            "stock-market-pipeline:memorySize": "512",
            "stock-market-pipeline:startingPosition": "LATEST",
        });
    });

    it("refuses a file that is not a mapping, rather than plan the defaults as if it were empty", () => {
        for (const [text, kind] of [
            ["- aws:region: eu-west-1\n", "a list"],
            ["just text\n", "a string"],
        ]) {
            const file = write(text);
            expect(() => readStackConfig(ROOT, file)).to.throw(
                UserError,
                `${file} is not a Pulumi project or stack file: expected a mapping of keys (config: ...), got ${kind}`,
            );
        }
    });

    it("refuses a key without its namespace, as the Pulumi CLI does", () => {
        const { problems } = readStackConfig(ROOT, write("config:\n  batchSize: 500\n"));
        expect(problems).to.deep.equal([
            'Pulumi.t.yaml: config key "batchSize" needs its namespace: stock-market-pipeline:batchSize',
        ]);
    });

    it("notes a secret it cannot decrypt and leaves it at its default", () => {
        const { config, notes } = readStackConfig(
            ROOT,
            write("config:\n  stock-market-pipeline:alarmEmail:\n    secure: v1:abc\n"),
        );
        expect(config["stock-market-pipeline:alarmEmail"]).to.equal("");
        expect(notes).to.deep.equal([
            "stock-market-pipeline:alarmEmail is a secret: npm run plan cannot decrypt it, so the plan leaves it at its default",
        ]);
    });

    it("passes a structured value as JSON", () => {
        const { config } = readStackConfig(ROOT, write("config:\n  aws:defaultTags:\n    tags:\n      team: ticks\n"));
        expect(config["aws:defaultTags"]).to.equal('{"tags":{"team":"ticks"}}');
    });

    it("says which stacks exist when the one asked for does not", () => {
        expect(() => stackFile(ROOT, "staging")).to.throw(
            /--stack staging: no Pulumi.staging.yaml next to Pulumi.yaml \(stacks: dev, prod\)/,
        );
    });
});

describe("npm run plan: the resource tree", () => {
    let lines: string[];
    let text: string;
    before(async () => {
        const run = await runProgram({ streamArn: STREAM_ARN, tableName: "StockMarketData", protectData: "true" });
        lines = formatPlan(run);
        text = lines.join("\n");
    });

    it("draws the stack at the root and each resource under its component", () => {
        expect(lines[0]).to.match(/^pulumi:pulumi:Stack\s+stock-market-pipeline-test$/);
        const storage = lines.findIndex(line =>
            /^├─ stock-market-pipeline:pipeline:StockStorage\s+storage$/.test(line),
        );
        const processor = lines.findIndex(line =>
            /^[├└]─ stock-market-pipeline:pipeline:StockProcessor\s+processor$/.test(line),
        );
        const table = lines.findIndex(line => /^│ {2}├─ aws:dynamodb:Table\s+storage-ticks/.test(line));
        const mapping = lines.findIndex(line =>
            /^[│ ] {2}├─ aws:lambda:EventSourceMapping\s+processor-subscription$/.test(line),
        );
        expect(storage).to.be.greaterThan(0);
        expect(table).to.be.greaterThan(storage).and.lessThan(processor);
        expect(mapping).to.be.greaterThan(processor);
    });

    it("shows the table's keys and name, and its protect options", () => {
        expect(text).to.match(/aws:dynamodb:Table\s+storage-ticks {2}\[protect, retainOnDelete\]/);
        expect(text).to.include("name StockMarketData; key symbol S (hash) + timestamp S (range); PAY_PER_REQUEST");
    });

    it("shows the function's runtime, architecture, memory and timeout", () => {
        expect(text).to.include("nodejs22.x, arm64, memory 512 MB, timeout 60 s, handler __index.handler");
    });

    it("shows the mapping's settings, from the stream to the function", () => {
        expect(text).to.include(`${STREAM_ARN} → <processor-fn.arn>`);
        expect(text).to.include(
            "batchSize 100, maximumBatchingWindowInSeconds 0, startingPosition LATEST, parallelizationFactor 1",
        );
        expect(text).to.include(
            "maximumRetryAttempts 10, maximumRecordAgeInSeconds 21600, bisectBatchOnFunctionError true, ReportBatchItemFailures",
        );
        expect(text).to.include("on failure → <processor-failures.arn>");
    });

    it("shows the role's statements, with references where ARNs are only known once deployed", () => {
        expect(text).to.include("WriteTicks: Allow dynamodb:BatchWriteItem, dynamodb:PutItem on <storage-ticks.arn>");
        expect(text).to.include(
            "WriteRecordCopies: Allow s3:PutObject on <storage-records.arn>/raw/*, <storage-records.arn>/processed/*, <storage-records.arn>/rejected/*",
        );
        expect(text).not.to.match(/123456789012:(table|log-group|function)|abc123|-id\b/);
    });

    it("shows where the Athena tables read and what the workgroup enforces", () => {
        expect(text).to.include("location s3://<storage-records.name>/processed/day=${day}/");
        expect(text).to.include("settings enforced true; at most 10 GiB scanned per query");
        expect(text).to.include("expire-query-results: expire after 7 days");
    });

    it("writes types as pulumi preview does", () => {
        expect(displayType("aws:s3/bucketPolicy:BucketPolicy")).to.equal("aws:s3:BucketPolicy");
        expect(displayType("stock-market-pipeline:pipeline:StockStorage")).to.equal(
            "stock-market-pipeline:pipeline:StockStorage",
        );
    });
});

describe("Pulumi.prod.yaml, the production stack", () => {
    let run: Awaited<ReturnType<typeof runProgramAsStack>>;
    let text: string;
    let stackYaml: string;
    before(async () => {
        const { config, problems } = readStackConfig(ROOT, stackFile(ROOT, "prod"));
        expect(problems).to.deep.equal([]);
        run = await runProgramAsStack(config, "prod");
        text = formatPlan(run).join("\n");
        stackYaml = fs.readFileSync(path.join(ROOT, "Pulumi.prod.yaml"), "utf8");
    });

    it("uses the batch layout and protects its data", () => {
        const fn = run.one("aws:lambda/function:Function").inputs;
        expect(fn.environment.variables.OBJECT_LAYOUT).to.equal("batch");
        expect(run.one("aws:dynamodb/table:Table").options).to.deep.equal({ protect: true, retainOnDelete: true });
    });

    it("plans offline, with only the placeholder account to warn about", () => {
        expect(run.warnings).to.have.length(1);
        expect(run.warnings[0]).to.match(/streamArn: .* is in account 123456789012/);
    });

    it("shows the versioning, the alarm topic's key and policy, and the concurrency cap", () => {
        expect(text).to.include("versioning Enabled");
        expect(text).to.match(/aws:kms:Key\s+processor-alarms-key/);
        expect(text).to.include("rotation on");
        expect(text).to.match(/StackAlarmsPublish: Allow sns:Publish to cloudwatch\.amazonaws\.com/);
        expect(text).to.include("at most 8 concurrent executions (reserved concurrency)");
    });

    it("keeps its logs a year, with alarms by email, items and each prefix expiring", () => {
        expect(run.one("aws:cloudwatch/logGroup:LogGroup").inputs.retentionInDays).to.equal(365);
        expect(run.all("aws:sns/topicSubscription:TopicSubscription")).to.have.length(1);
        expect(run.one("aws:dynamodb/table:Table").inputs.ttl).to.deep.equal({
            attributeName: "expiresAt",
            enabled: true,
        });
        expect(text).to.match(/expire-raw: raw\/ expire after \d+ days/);
    });

    it("says why, above each of its settings", () => {
        const lines = stackYaml.split("\n");
        const settings = lines.map((line, i) => [line, i] as const).filter(([line]) => /^ {2}[\w-]+:[\w]+:/.test(line));
        expect(settings.length).to.be.greaterThan(10);
        for (const [line, i] of settings) expect(lines[i - 1], line).to.match(/^ {2}# /);
    });
});

describe("docs/operating.md's plan of the dev stack", () => {
    it("shows lines the plan prints for Pulumi.dev.yaml, in its order, and its count of resources", async () => {
        const { config, problems } = readStackConfig(ROOT, stackFile(ROOT, "dev"));
        expect(problems).to.deep.equal([]);
        const run = await runProgramAsStack(config, "dev");
        const printed = formatPlan(run);
        const page = fs.readFileSync(path.join(ROOT, "docs", "operating.md"), "utf8");
        const example = /```\nstack dev \(.*\n\n([\s\S]*?)\n```/.exec(page)![1].split("\n");
        const counted = example.pop()!;
        expect(counted).to.match(/^Resources: \d+ to create\./);
        expect(counted.split(".")[0]).to.equal(`Resources: ${run.resources.length} to create`);
        let from = 0;
        for (const line of example.filter(line => line.trim() !== "" && !line.trimEnd().endsWith("..."))) {
            const at = printed.indexOf(line, from);
            expect(at, `not printed after line ${from}: ${line}`).to.be.at.least(0);
            from = at + 1;
        }
    });
});
