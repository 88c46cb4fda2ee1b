import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { DEFAULTS } from "../../pipeline/infra/config";
import { StockProcessor } from "../../pipeline/infra/processor";
import { StockStorage } from "../../pipeline/infra/storage";
import { ProgramRun, runUnderMocks, STREAM_ARN } from "../../harness/pulumi/program-under-mocks";
import { documentedDefaults } from "../support/documented-defaults";

describe("the components used on their own, in another program", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runUnderMocks(() => {
            const storage = new StockStorage("ticks", {});
            const processor = new StockProcessor("ticks", {
                streamArn: STREAM_ARN,
                tableName: storage.tableName,
                tableArn: storage.tableArn,
                bucketName: storage.bucketName,
                bucketArn: storage.bucketArn,
            });
            return { functionName: processor.functionName };
        });
    });

    it("need nothing but the stream and the storage they write to", () => {
        expect(run.outputs.functionName).to.equal("ticks-fn-abc123");
    });

    it("tell the function's timeout as deployed, for a dashboard to chart duration against", async () => {
        let processors!: StockProcessor[];
        await runUnderMocks(() => {
            const storage = new StockStorage("st", {});
            const wiring = {
                streamArn: STREAM_ARN,
                tableName: storage.tableName,
                tableArn: storage.tableArn,
                bucketName: storage.bucketName,
                bucketArn: storage.bucketArn,
            };
            processors = [
                new StockProcessor("default", wiring),
                new StockProcessor("slow", { ...wiring, timeout: 300 }),
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
        expect(lifecycle.rules[0].transitions).to.deep.equal([
            { days: DEFAULTS.rawArchiveAfterDays, storageClass: DEFAULTS.rawArchiveStorageClass },
        ]);
        expect(run.one("aws:dynamodb/table:Table").inputs.deletionProtectionEnabled).to.equal(DEFAULTS.protectData);
        expect(run.one("aws:dynamodb/table:Table").inputs.globalSecondaryIndexes).to.equal(undefined);
    });

    it("document each optional field's default, and it is the table's", () => {
        const documented = { ...documentedDefaults("storage.ts"), ...documentedDefaults("processor.ts") };
        expect(Object.keys(documented)).to.have.length.above(10);
        for (const [field, value] of Object.entries(documented)) {
            expect(value, field).to.equal((DEFAULTS as Record<string, unknown>)[field]);
        }
    });
});

describe("the storage component given resource options", () => {
    /** What Pulumi will enforce for a resource: its own protect, or the one it inherited from its parent. */
    const protectOf = (resource: pulumi.Resource) => (resource as unknown as { __protect?: boolean }).__protect;

    it("keeps a protect given to the component on the table and the bucket, protectData or not", async () => {
        let storage!: StockStorage;
        await runUnderMocks(() => {
            storage = new StockStorage("st", {}, { protect: true });
            return {};
        });
        expect(protectOf(storage.table)).to.equal(true);
        expect(protectOf(storage.bucket)).to.equal(true);
    });

    it("leaves protect to the component's options when protectData is off", async () => {
        let storage!: StockStorage;
        await runUnderMocks(() => {
            storage = new StockStorage("st", {});
            return {};
        });
        expect(protectOf(storage.table)).to.not.equal(true);
        expect(protectOf(storage.bucket)).to.not.equal(true);
    });
});

describe("the storage component's day index", () => {
    it("declares the index and its key attribute from the same default", async () => {
        const defaults = DEFAULTS as { dayIndex: boolean };
        const saved = defaults.dayIndex;
        defaults.dayIndex = true; // as if the table of defaults turned the index on
        try {
            const run = await runUnderMocks(() => {
                new StockStorage("st", {});
                return {};
            });
            const table = run.one("aws:dynamodb/table:Table").inputs;
            expect(table.attributes.map((a: { name: string }) => a.name)).to.include("day");
            expect(table.globalSecondaryIndexes?.map((index: { name: string }) => index.name)).to.deep.equal(["byDay"]);
        } finally {
            defaults.dayIndex = saved;
        }
    });
});
