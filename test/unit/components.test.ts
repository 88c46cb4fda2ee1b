import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { defaultSettings, DEFAULTS, settingsOf } from "../../pipeline/infra/config";
import { StockProcessor } from "../../pipeline/infra/processor";
import { StockStorage } from "../../pipeline/infra/storage";
import { ProgramRun, runUnderMocks, STREAM_ARN } from "../../harness/pulumi/program-under-mocks";

describe("the components used on their own, in another program", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runUnderMocks(() => {
            const settings = defaultSettings(STREAM_ARN);
            const storage = new StockStorage("ticks", { settings: settingsOf(settings, "storage") });
            const processor = new StockProcessor("ticks", {
                settings: settingsOf(settings, "processor"),
                tableName: storage.tableName,
                tableArn: storage.tableArn,
                bucketName: storage.bucketName,
                bucketArn: storage.bucketArn,
            });
            return { functionName: processor.functionName };
        });
    });

    it("need nothing but the stream's settings and the storage they write to", () => {
        expect(run.outputs.functionName).to.equal("ticks-fn-abc123");
    });

    it("tell the function's timeout as deployed, for a dashboard to chart duration against", async () => {
        let processors!: StockProcessor[];
        await runUnderMocks(() => {
            const storage = new StockStorage("st", { settings: settingsOf(defaultSettings(STREAM_ARN), "storage") });
            const wiring = {
                tableName: storage.tableName,
                tableArn: storage.tableArn,
                bucketName: storage.bucketName,
                bucketArn: storage.bucketArn,
            };
            processors = [
                new StockProcessor("default", {
                    ...wiring,
                    settings: settingsOf(defaultSettings(STREAM_ARN), "processor"),
                }),
                new StockProcessor("slow", {
                    ...wiring,
                    settings: settingsOf(defaultSettings(STREAM_ARN, { timeout: "300" }), "processor"),
                }),
            ];
            return {};
        });
        expect(processors.map(processor => processor.timeout)).to.deep.equal([DEFAULTS.timeout, 300]);
    });

    it("take every other setting from the one table of defaults", () => {
        expect(run.one("aws:lambda/eventSourceMapping:EventSourceMapping").inputs).to.include({
            batchSize: DEFAULTS.batchSize,
            maximumBatchingWindowInSeconds: DEFAULTS.maximumBatchingWindowInSeconds,
            startingPosition: DEFAULTS.startingPosition,
            parallelizationFactor: DEFAULTS.parallelizationFactor,
            maximumRetryAttempts: DEFAULTS.maximumRetryAttempts,
            maximumRecordAgeInSeconds: DEFAULTS.maximumRecordAgeInSeconds,
        });
        expect(run.one("aws:lambda/function:Function").inputs).to.include({
            memorySize: DEFAULTS.memorySize,
            timeout: DEFAULTS.timeout,
        });
        expect(run.one("aws:lambda/function:Function").inputs.environment.variables.OBJECT_LAYOUT).to.equal(
            DEFAULTS.objectLayout,
        );
        expect(run.one("aws:cloudwatch/logGroup:LogGroup").inputs.retentionInDays).to.equal(DEFAULTS.logRetentionDays);
        const iteratorAge = run
            .all("aws:cloudwatch/metricAlarm:MetricAlarm")
            .find(a => a.inputs.metricName === "IteratorAge");
        expect(iteratorAge?.inputs.threshold).to.equal(DEFAULTS.iteratorAgeAlarmSeconds * 1000);
        const lifecycle = run.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs;
        expect(DEFAULTS.rawArchiveAfterDays).to.equal(0);
        expect(lifecycle.rules.map((rule: { id: string }) => rule.id)).to.not.include("archive-raw");
        const oldVersions = lifecycle.rules.find((rule: { id: string }) => rule.id === "expire-old-versions");
        expect(oldVersions.noncurrentVersionExpiration).to.deep.equal({
            noncurrentDays: DEFAULTS.noncurrentVersionDays,
        });
        expect(run.one("aws:dynamodb/table:Table").inputs.deletionProtectionEnabled).to.equal(DEFAULTS.protectData);
        expect(run.one("aws:dynamodb/table:Table").inputs.globalSecondaryIndexes).to.equal(undefined);
    });
});

describe("the storage component given resource options", () => {
    /** What Pulumi will enforce for a resource: its own protect, or the one it inherited from its parent. */
    const protectOf = (resource: pulumi.Resource) => (resource as unknown as { __protect?: boolean }).__protect;

    it("keeps a protect given to the component on the table and the bucket, protectData or not", async () => {
        let storage!: StockStorage;
        await runUnderMocks(() => {
            storage = new StockStorage(
                "st",
                { settings: settingsOf(defaultSettings(STREAM_ARN), "storage") },
                { protect: true },
            );
            return {};
        });
        expect(protectOf(storage.table)).to.equal(true);
        expect(protectOf(storage.bucket)).to.equal(true);
    });

    it("leaves protect to the component's options when protectData is off", async () => {
        let storage!: StockStorage;
        await runUnderMocks(() => {
            storage = new StockStorage("st", { settings: settingsOf(defaultSettings(STREAM_ARN), "storage") });
            return {};
        });
        expect(protectOf(storage.table)).to.not.equal(true);
        expect(protectOf(storage.bucket)).to.not.equal(true);
    });
});

describe("the storage component's day index", () => {
    it("declares the index and its key attribute together", async () => {
        const run = await runUnderMocks(() => {
            new StockStorage("st", {
                settings: settingsOf(defaultSettings(STREAM_ARN, { dayIndex: "true" }), "storage"),
            });
            return {};
        });
        const table = run.one("aws:dynamodb/table:Table").inputs;
        expect(table.attributes.map((a: { name: string }) => a.name)).to.include("day");
        expect(table.globalSecondaryIndexes?.map((index: { name: string }) => index.name)).to.deep.equal(["byDay"]);
    });
});
