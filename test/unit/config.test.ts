import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import * as yaml from "js-yaml";
import { DEFAULTS, parsePipelineConfig } from "../../pipeline/infra/config";

const STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/stock-market-stream";
const parse = (values: Record<string, string>) => parsePipelineConfig(key => values[key]);

describe("stack config", () => {
    it("has the same defaults in Pulumi.yaml as in the code that reads it", () => {
        const project = yaml.load(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), "utf8")) as {
            config: Record<string, { type: string; default?: unknown }>;
        };
        const yamlDefaults = Object.fromEntries(
            Object.entries(project.config)
                .filter(([, spec]) => "default" in spec)
                .map(([key, spec]) => [key, spec.default]),
        );
        expect(yamlDefaults).to.deep.equal(DEFAULTS);
        expect(project.config.streamArn).to.not.have.property("default");
    });

    it("needs nothing but streamArn and applies every default", () => {
        const settings = parse({ streamArn: STREAM_ARN });
        expect(settings).to.deep.equal({
            streamArn: STREAM_ARN,
            streamKmsKeyArn: undefined,
            tableName: undefined,
            bucketName: undefined,
            dayIndex: false,
            batchSize: 100,
            maximumBatchingWindowInSeconds: 0,
            startingPosition: "LATEST",
            startingPositionTimestamp: undefined,
            parallelizationFactor: 1,
            maximumRetryAttempts: 10,
            maximumRecordAgeInSeconds: 21600,
            memorySize: 512,
            timeout: 60,
            logRetentionDays: 30,
            alarmEmail: undefined,
            iteratorAgeAlarmSeconds: 60,
            rawArchiveAfterDays: 30,
            rawArchiveStorageClass: "STANDARD_IA",
            protectData: false,
            objectLayout: "record",
            analytics: true,
            analyticsFirstDay: "2026-01-01",
            athenaBytesScannedCutoffGiB: 10,
            athenaResultsExpirationDays: 7,
        });
    });

    it("takes the analytics settings in their own types", () => {
        const settings = parse({
            streamArn: STREAM_ARN,
            analytics: "false",
            analyticsFirstDay: "2024-02-29",
            athenaBytesScannedCutoffGiB: "1",
            athenaResultsExpirationDays: "30",
        });
        expect(settings).to.include({
            analytics: false,
            analyticsFirstDay: "2024-02-29",
            athenaBytesScannedCutoffGiB: 1,
            athenaResultsExpirationDays: 30,
        });
    });

    it("takes every override in its own type", () => {
        const settings = parse({
            streamArn: "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/ticks.v2",
            tableName: "StockMarketData",
            bucketName: "stock-market-data-dev",
            batchSize: "500",
            startingPosition: "AT_TIMESTAMP",
            startingPositionTimestamp: "2026-11-28T00:00:00Z",
            protectData: "true",
            dayIndex: "true",
            logRetentionDays: "365",
            alarmEmail: "oncall@example.com",
            objectLayout: "batch",
        });
        expect(settings).to.include({
            tableName: "StockMarketData",
            bucketName: "stock-market-data-dev",
            batchSize: 500,
            startingPosition: "AT_TIMESTAMP",
            startingPositionTimestamp: "2026-11-28T00:00:00Z",
            protectData: true,
            dayIndex: true,
            logRetentionDays: 365,
            alarmEmail: "oncall@example.com",
            objectLayout: "batch",
        });
    });

    it("refuses a stack without streamArn, saying how to set it", () => {
        expect(() => parse({})).to.throw(
            /^config stock-market-pipeline:streamArn: required.*pulumi config set streamArn/,
        );
    });

    const badValues: [string, Record<string, string>, RegExp][] = [
        [
            "a streamArn that is not a Kinesis stream ARN",
            { streamArn: "arn:aws:sqs:us-east-1:123456789012:queue" },
            /streamArn: expected a Kinesis stream ARN/,
        ],
        [
            "a stream name instead of an ARN",
            { streamArn: "stock-market-stream" },
            /streamArn: expected a Kinesis stream ARN/,
        ],
        ["a batch size of 0", { batchSize: "0" }, /batchSize: expected an integer from 1 to 10000, got "0"/],
        ["a batch size of 10001", { batchSize: "10001" }, /batchSize: expected an integer from 1 to 10000/],
        ["a batch size that is not a number", { batchSize: "lots" }, /batchSize: expected an integer/],
        ["a fractional memory size", { memorySize: "512.5" }, /memorySize: expected an integer/],
        ["a timeout over 15 minutes", { timeout: "901" }, /timeout: expected an integer from 1 to 900/],
        [
            "infinite retries",
            { maximumRetryAttempts: "-1" },
            /maximumRetryAttempts: expected an integer from 0 to 10000/,
        ],
        [
            "an infinite record age",
            { maximumRecordAgeInSeconds: "-1" },
            /maximumRecordAgeInSeconds: expected an integer from 60/,
        ],
        [
            "an unknown starting position",
            { startingPosition: "EARLIEST" },
            /startingPosition: expected one of LATEST, TRIM_HORIZON, AT_TIMESTAMP/,
        ],
        [
            "AT_TIMESTAMP without a timestamp",
            { startingPosition: "AT_TIMESTAMP" },
            /startingPositionTimestamp: required when startingPosition is AT_TIMESTAMP/,
        ],
        [
            "a timestamp with LATEST",
            { startingPositionTimestamp: "2026-11-28T00:00:00Z" },
            /startingPositionTimestamp: only allowed/,
        ],
        [
            "a parallelization factor of 11",
            { parallelizationFactor: "11" },
            /parallelizationFactor: expected an integer from 1 to 10/,
        ],
        [
            "a retention CloudWatch refuses",
            { logRetentionDays: "10" },
            /logRetentionDays: expected one of 1, 3, 5, 7, 14/,
        ],
        ["an upper-case bucket name", { bucketName: "StockMarketData" }, /bucketName: expected a bucket name/],
        ["a two-letter table name", { tableName: "ab" }, /tableName: expected 3-255 characters/],
        ["protectData as yes", { protectData: "yes" }, /protectData: expected true or false, got "yes"/],
        ["an alarm email without a domain", { alarmEmail: "oncall" }, /alarmEmail: expected an email address/],
        [
            "an IA transition before 30 days",
            { rawArchiveAfterDays: "7" },
            /rawArchiveAfterDays: STANDARD_IA needs at least 30 days/,
        ],
        [
            "a KMS alias instead of a key",
            { streamKmsKeyArn: "arn:aws:kms:us-east-1:123456789012:alias/stream" },
            /streamKmsKeyArn: expected a KMS key ARN/,
        ],
        [
            "an unknown object layout",
            { objectLayout: "per-day" },
            /objectLayout: expected one of record, batch, got "per-day"/,
        ],
        [
            "an unknown storage class",
            { rawArchiveStorageClass: "COLD" },
            /rawArchiveStorageClass: expected one of STANDARD_IA/,
        ],
        ["analytics as 1", { analytics: "1" }, /analytics: expected true or false, got "1"/],
        [
            "a first analytics day that does not exist",
            { analyticsFirstDay: "2026-02-30" },
            /analyticsFirstDay: expected a day YYYY-MM-DD, got "2026-02-30"/,
        ],
        [
            "a scan cutoff of 0 GiB",
            { athenaBytesScannedCutoffGiB: "0" },
            /athenaBytesScannedCutoffGiB: expected an integer from 1 to 1048576/,
        ],
        [
            "results kept for 0 days",
            { athenaResultsExpirationDays: "0" },
            /athenaResultsExpirationDays: expected an integer from 1 to 3650/,
        ],
    ];
    for (const [what, values, message] of badValues) {
        it(`refuses ${what}, naming the key`, () => {
            expect(() => parse({ streamArn: STREAM_ARN, ...values }))
                .to.throw(/^config stock-market-pipeline:/)
                .and.to.match(message);
        });
    }
});
