import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import * as yaml from "js-yaml";
import {
    closestKey,
    ConfigError,
    DEFAULTS,
    parsePipelineConfig,
    parseStackConfig,
    SETTINGS,
} from "../../pipeline/infra/config";
import { CONFIG_REFERENCE_FILE, configReference } from "../../harness/docs/config-reference";

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

    it("knows exactly the keys Pulumi.yaml declares, so that no declared key is refused as unknown", () => {
        const project = yaml.load(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), "utf8")) as {
            config: Record<string, unknown>;
        };
        expect(Object.keys(project.config).sort()).to.deep.equal(Object.keys(SETTINGS).sort());
    });

    it("describes each key in Pulumi.yaml in the same words as the code", () => {
        const project = yaml.load(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), "utf8")) as {
            config: Record<string, { description: string }>;
        };
        for (const [key, setting] of Object.entries(SETTINGS))
            expect(project.config[key]?.description, key).to.equal(setting.description);
    });

    it("is documented by docs/config.md exactly as the settings table generates it (npm run config-docs)", () => {
        const page = fs.readFileSync(path.join(__dirname, "..", "..", CONFIG_REFERENCE_FILE), "utf8");
        expect(page, "docs/config.md is stale: run npm run config-docs").to.equal(configReference());
        for (const key of Object.keys(SETTINGS)) expect(page).to.include(`| \`${key}\` |`);
    });

    it("needs nothing but streamArn and applies every default", () => {
        const settings = parse({ streamArn: STREAM_ARN });
        expect(Object.keys(settings).sort()).to.deep.equal(Object.keys(SETTINGS).sort());
        expect(settings).to.deep.include({
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
            rawArchiveAfterDays: 0,
            rawArchiveStorageClass: "STANDARD_IA",
            rawExpireAfterDays: undefined,
            processedExpireAfterDays: undefined,
            rejectedExpireAfterDays: undefined,
            noncurrentVersionDays: 30,
            itemTtlDays: undefined,
            protectData: false,
            reservedConcurrency: undefined,
            alarmTopicEncryption: false,
            accessLogsBucket: undefined,
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

    it("takes a starting timestamp with fractions of a second and an offset, on a leap day", () => {
        const settings = parse({
            streamArn: STREAM_ARN,
            startingPosition: "AT_TIMESTAMP",
            startingPositionTimestamp: "2028-02-29T23:59:59.999+05:30",
        });
        expect(settings.startingPositionTimestamp).to.equal("2028-02-29T23:59:59.999+05:30");
    });

    it("takes bucket names with dots, digits and hyphens that S3 allows", () => {
        for (const name of [
            "stock-market-data-dev",
            "ticks.example.com",
            "192.168.5.4.ticks",
            "a-xn--b",
            "s3alias-ticks",
        ]) {
            expect(parse({ streamArn: STREAM_ARN, bucketName: name }).bucketName).to.equal(name);
        }
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
            "a starting timestamp on a day that does not exist",
            { startingPosition: "AT_TIMESTAMP", startingPositionTimestamp: "2026-02-30T00:00:00Z" },
            /startingPositionTimestamp: expected an RFC 3339 instant that exists, .*got "2026-02-30T00:00:00Z"/,
        ],
        [
            "a starting timestamp at 24:00",
            { startingPosition: "AT_TIMESTAMP", startingPositionTimestamp: "2026-11-28T24:00:00Z" },
            /startingPositionTimestamp: expected an RFC 3339 instant that exists/,
        ],
        [
            "a starting timestamp with an offset of 25 hours",
            { startingPosition: "AT_TIMESTAMP", startingPositionTimestamp: "2026-11-28T10:00:00+25:00" },
            /startingPositionTimestamp: expected an RFC 3339 instant that exists/,
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
        [
            "a bucket name with two dots in a row",
            { bucketName: "my..bucket" },
            /bucketName: expected a bucket name without two dots in a row, got "my..bucket"/,
        ],
        [
            "a bucket name formatted as an IP address",
            { bucketName: "192.168.5.4" },
            /bucketName: expected a bucket name that is not formatted as an IP address/,
        ],
        [
            "a bucket name with S3's reserved prefix xn--",
            { bucketName: "xn--ticks" },
            /bucketName: expected a bucket name that does not start with xn-- \(reserved by S3\)/,
        ],
        [
            "a bucket name with S3's reserved prefix sthree-",
            { bucketName: "sthree-ticks" },
            /bucketName: .*does not start with sthree-/,
        ],
        [
            "a bucket name with an access point alias's suffix",
            { bucketName: "ticks-s3alias" },
            /bucketName: expected a bucket name that does not end with -s3alias \(reserved by S3\)/,
        ],
        [
            "a bucket name with an Object Lambda alias's suffix",
            { bucketName: "ticks--ol-s3" },
            /bucketName: .*does not end with --ol-s3/,
        ],
        ["a bucket name with a directory bucket's suffix", { bucketName: "ticks--x-s3" }, /does not end with --x-s3/],
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

    it("accepts enumerations only as Pulumi.yaml spells them, pointing to the right spelling", () => {
        expect(() => parse({ streamArn: STREAM_ARN, startingPosition: "latest" })).to.throw(
            'config stock-market-pipeline:startingPosition: expected one of LATEST, TRIM_HORIZON, AT_TIMESTAMP, got "latest" (did you mean LATEST?)',
        );
        expect(() => parse({ streamArn: STREAM_ARN, objectLayout: "BATCH" })).to.throw(
            'config stock-market-pipeline:objectLayout: expected one of record, batch, got "BATCH" (did you mean batch?)',
        );
        expect(() => parse({ streamArn: STREAM_ARN, rawArchiveStorageClass: "glacier_ir" })).to.throw(
            /rawArchiveStorageClass: expected one of .*, got "glacier_ir" \(did you mean GLACIER_IR\?\)$/,
        );
    });
});

/** The problems parsing reports, one string per line of the error. */
function problemsOf(parseIt: () => unknown): string[] {
    try {
        parseIt();
    } catch (error) {
        expect(error).to.be.instanceOf(ConfigError);
        return (error as ConfigError).message.split("\n");
    }
    throw new Error("expected a ConfigError");
}

describe("stack config with several problems", () => {
    it("reports every bad value at once, one line per key", () => {
        expect(problemsOf(() => parse({ streamArn: STREAM_ARN, batchSize: "0", memorySize: "1" }))).to.deep.equal([
            'config stock-market-pipeline:batchSize: expected an integer from 1 to 10000, got "0"',
            'config stock-market-pipeline:memorySize: expected an integer from 128 to 10240, got "1"',
        ]);
    });

    it("reports a missing streamArn together with the other problems", () => {
        expect(problemsOf(() => parse({ timeout: "0" }))).to.have.length(2);
    });

    it("checks a rule across keys only when each key it reads is valid on its own", () => {
        const problems = problemsOf(() =>
            parse({
                streamArn: STREAM_ARN,
                startingPosition: "at_timestamp",
                startingPositionTimestamp: "2026-11-28T00:00:00Z",
            }),
        );
        expect(problems).to.have.length(1);
        expect(problems[0]).to.match(/startingPosition: expected one of/);
    });
});

describe("stack config and today's date", () => {
    /** 2026-11-28T12:00:00Z: already 2026-11-29 in UTC+14 (Kiritimati). */
    const NOON_UTC = Date.UTC(2026, 10, 28, 12);
    const parseAt = (values: Record<string, string>, now: number) =>
        parsePipelineConfig(key => ({ streamArn: STREAM_ARN, ...values })[key], "stock-market-pipeline", { now });

    it("refuses a first analytics day after today: the tables would see no day", () => {
        expect(() => parseAt({ analyticsFirstDay: "2026-11-30" }, NOON_UTC)).to.throw(
            'config stock-market-pipeline:analyticsFirstDay: expected a day not after today (2026-11-29), got "2026-11-30"',
        );
    });

    it("takes today as a first analytics day, wherever it is already today", () => {
        expect(parseAt({ analyticsFirstDay: "2026-11-29" }, NOON_UTC).analyticsFirstDay).to.equal("2026-11-29");
        expect(parseAt({ analyticsFirstDay: "2026-11-28" }, NOON_UTC).analyticsFirstDay).to.equal("2026-11-28");
    });

    it("checks against the clock when no time is given", () => {
        expect(() => parse({ streamArn: STREAM_ARN, analyticsFirstDay: "2999-01-01" })).to.throw(
            /analyticsFirstDay: expected a day not after today \(\d{4}-\d{2}-\d{2}\), got "2999-01-01"/,
        );
    });
});

describe("stack config keys", () => {
    const stack = (config: Record<string, string>) => ({
        "aws:region": "us-east-1",
        "stock-market-pipeline:streamArn": STREAM_ARN,
        ...config,
    });

    it("refuses a misspelt key of the project's namespace, naming the key it most likely meant", () => {
        expect(problemsOf(() => parseStackConfig(stack({ "stock-market-pipeline:batchsize": "500" })))).to.deep.equal([
            "config stock-market-pipeline:batchsize: unknown key: did you mean batchSize?",
        ]);
        expect(closestKey("bacthSize")).to.equal("batchSize");
        expect(closestKey("memorysize")).to.equal("memorySize");
        expect(closestKey("startingPositon")).to.equal("startingPosition");
    });

    it("refuses a key nothing resembles, pointing to Pulumi.yaml for the keys", () => {
        expect(problemsOf(() => parseStackConfig(stack({ "stock-market-pipeline:colour": "blue" })))).to.deep.equal([
            "config stock-market-pipeline:colour: unknown key: the keys are listed in Pulumi.yaml",
        ]);
    });

    it("refuses keys named like Object.prototype's members", () => {
        for (const key of ["toString", "constructor", "hasOwnProperty", "__proto__"]) {
            const problems = problemsOf(() => parseStackConfig(stack({ [`stock-market-pipeline:${key}`]: "x" })));
            expect(problems, key).to.have.length(1);
            expect(problems[0], key).to.match(new RegExp(`^config stock-market-pipeline:${key}: unknown key: `));
        }
    });

    it("leaves other namespaces' keys to their owners", () => {
        const settings = parseStackConfig(stack({ "aws:profile": "dev", "aws:skipMetadataApiCheck": "false" }));
        expect(settings.streamArn).to.equal(STREAM_ARN);
    });

    it("reads the project's keys from the whole config map, as Pulumi hands it to the program", () => {
        const settings = parseStackConfig(stack({ "stock-market-pipeline:batchSize": "250" }));
        expect(settings.batchSize).to.equal(250);
    });
});

describe("stack config and the stack's region", () => {
    const KEY = (region: string) => `arn:aws:kms:${region}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab`;

    it("refuses a stream in another region than aws:region: a mapping cannot read across regions", () => {
        const streamArn = "arn:aws:kinesis:eu-west-1:123456789012:stream/stock-market-stream";
        const problems = problemsOf(() =>
            parseStackConfig({ "aws:region": "us-east-1", "stock-market-pipeline:streamArn": streamArn }),
        );
        expect(problems).to.have.length(1);
        expect(problems[0]).to.match(
            /^config stock-market-pipeline:streamArn: the stream is in eu-west-1 but the stack deploys to aws:region us-east-1/,
        );
    });

    it("refuses a stream KMS key in another region than aws:region", () => {
        const problems = problemsOf(() =>
            parseStackConfig({
                "aws:region": "us-east-1",
                "stock-market-pipeline:streamArn": STREAM_ARN,
                "stock-market-pipeline:streamKmsKeyArn": KEY("us-west-2"),
            }),
        );
        expect(problems).to.have.length(1);
        expect(problems[0]).to.match(
            /^config stock-market-pipeline:streamKmsKeyArn: the stream's KMS key is in us-west-2 but .* us-east-1: /,
        );
        // Its own reason, not the stream's: a mapping reads the stream, the key only decrypts it.
        expect(problems[0]).to.not.include("event source mapping");
        expect(problems[0]).to.include("the key the stream in us-east-1 is encrypted with");
    });

    it("accepts a stream and key in the stack's region", () => {
        const settings = parseStackConfig({
            "aws:region": "us-east-1",
            "stock-market-pipeline:streamArn": STREAM_ARN,
            "stock-market-pipeline:streamKmsKeyArn": KEY("us-east-1"),
        });
        expect(settings.streamKmsKeyArn).to.equal(KEY("us-east-1"));
    });

    it("takes the region given over aws:region (the provider's, which may come from AWS_REGION)", () => {
        expect(() =>
            parseStackConfig({ "stock-market-pipeline:streamArn": STREAM_ARN }, "stock-market-pipeline", "eu-west-1"),
        ).to.throw(/streamArn: the stream is in us-east-1 but the stack deploys to aws:region eu-west-1/);
    });
});

describe("stack config: retention", () => {
    it("takes whole days from 1 for each retention key, and leaves each off when unset", () => {
        const settings = parse({
            streamArn: STREAM_ARN,
            itemTtlDays: "400",
            rawExpireAfterDays: "3650",
            processedExpireAfterDays: "1",
            rejectedExpireAfterDays: "90",
            noncurrentVersionDays: "7",
        });
        expect(settings).to.include({
            itemTtlDays: 400,
            rawExpireAfterDays: 3650,
            processedExpireAfterDays: 1,
            rejectedExpireAfterDays: 90,
            noncurrentVersionDays: 7,
        });
    });

    for (const key of [
        "itemTtlDays",
        "rawExpireAfterDays",
        "processedExpireAfterDays",
        "rejectedExpireAfterDays",
        "noncurrentVersionDays",
    ]) {
        for (const bad of ["0", "-3", "1.5", "seven", "36501"]) {
            it(`refuses ${key} ${bad}, naming the key`, () => {
                expect(problemsOf(() => parse({ streamArn: STREAM_ARN, [key]: bad }))).to.deep.equal([
                    `config stock-market-pipeline:${key}: expected an integer from 1 to 36500, got "${bad}"`,
                ]);
            });
        }
    }

    it("refuses raw/ objects expiring before they are archived", () => {
        expect(
            problemsOf(() => parse({ streamArn: STREAM_ARN, rawArchiveAfterDays: "90", rawExpireAfterDays: "60" })),
        ).to.deep.equal([
            "config stock-market-pipeline:rawExpireAfterDays: must be more than rawArchiveAfterDays (90): raw/ objects cannot expire before they are archived, got 60",
        ]);
    });

    describe("the raw/ archive rule", () => {
        // A stream of a real account: the documentation's would add its own warning.
        const streamArn = "arn:aws:kinesis:us-east-1:111122223333:stream/ticks";
        const warningsOf = (values: Record<string, string>) => {
            const lines: string[] = [];
            parsePipelineConfig(key => ({ streamArn, ...values })[key], "stock-market-pipeline", {
                warn: line => lines.push(line),
            });
            return lines;
        };

        it("is off by default, and then says nothing", () => {
            expect(warningsOf({})).to.deep.equal([]);
        });

        it("warns that it moves nothing in the record layout: every object is under 128 KiB", () => {
            expect(warningsOf({ rawArchiveAfterDays: "30" })).to.deep.equal([
                "config stock-market-pipeline:rawArchiveAfterDays: S3 lifecycle rules transition no object under 128 KiB, and the record layout writes one raw/ object of about 100 bytes per record: this rule moves nothing (set it to 0, or use objectLayout batch with large batches)",
            ]);
        });

        it("warns in the batch layout when a batch's raw/ object cannot reach 128 KiB, saying the batch size that would", () => {
            const [warning] = warningsOf({ rawArchiveAfterDays: "30", objectLayout: "batch", batchSize: "1000" });
            expect(warning).to.match(
                /^config stock-market-pipeline:rawArchiveAfterDays: .* at most batchSize \(1000\) records, about 34 KiB: this rule moves nothing \(raise batchSize to at least 3745,/,
            );
        });

        it("says nothing in the batch layout with batches large enough", () => {
            expect(warningsOf({ rawArchiveAfterDays: "30", objectLayout: "batch", batchSize: "5000" })).to.deep.equal(
                [],
            );
        });
    });
});

describe("stack config: the documentation's account", () => {
    const KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const stack = { streamArn: STREAM_ARN, streamKmsKeyArn: KEY };

    it("is refused in streamArn and streamKmsKeyArn when deploying (pulumi up), naming each key", () => {
        const problems = problemsOf(() =>
            parsePipelineConfig(key => stack[key as keyof typeof stack], "stock-market-pipeline", { deploying: true }),
        );
        expect(problems).to.deep.equal([
            `config stock-market-pipeline:streamArn: the stream ${STREAM_ARN} is in account 123456789012, the one AWS's documentation uses in its examples: set the ARN of yours (pulumi up refuses it; a preview only warns)`,
            `config stock-market-pipeline:streamKmsKeyArn: the key ${KEY} is in account 123456789012, the one AWS's documentation uses in its examples: set the ARN of yours (pulumi up refuses it; a preview only warns)`,
        ]);
    });

    it("is only a warning in a preview, so that the example stacks still plan", () => {
        const warnings: string[] = [];
        const settings = parsePipelineConfig(key => stack[key as keyof typeof stack], "stock-market-pipeline", {
            warn: line => warnings.push(line),
        });
        expect(settings.streamArn).to.equal(STREAM_ARN);
        expect(warnings).to.have.length(2);
        expect(warnings[0]).to.match(
            /^config stock-market-pipeline:streamArn: the stream .* is in account 123456789012/,
        );
    });

    it("is not what a real account gets", () => {
        const real = "arn:aws:kinesis:us-east-1:111122223333:stream/ticks";
        expect(parsePipelineConfig(key => ({ streamArn: real })[key], "x", { deploying: true }).streamArn).to.equal(
            real,
        );
    });
});

describe("stack config: the stream's KMS key and the stream", () => {
    const STREAM = "arn:aws:kinesis:us-east-1:111122223333:stream/ticks";

    it("refuses a key in another account than the stream, naming both accounts", () => {
        const key = "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        expect(problemsOf(() => parse({ streamArn: STREAM, streamKmsKeyArn: key }))).to.deep.equal([
            "config stock-market-pipeline:streamKmsKeyArn: the key is in account 444455556666, region us-east-1, but the stream (streamArn) is in account 111122223333, region us-east-1: a stream is encrypted with a key of its own account and region",
        ]);
    });

    it("refuses a key in another region than the stream, naming both regions", () => {
        const key = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        expect(problemsOf(() => parse({ streamArn: STREAM, streamKmsKeyArn: key }))[0]).to.include(
            "region eu-west-1, but the stream (streamArn) is in account 111122223333, region us-east-1",
        );
    });

    it("says one thing per key, even when two rules find the key wrong", () => {
        const key = "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        const problems = problemsOf(() =>
            parseStackConfig({
                "aws:region": "us-east-1",
                "stock-market-pipeline:streamArn": STREAM,
                "stock-market-pipeline:streamKmsKeyArn": key,
            }),
        );
        expect(problems).to.have.length(1);
    });
});

describe("stack config: the other settings of a production stack", () => {
    it("takes a concurrency cap, topic encryption and an access logs bucket", () => {
        const settings = parse({
            streamArn: STREAM_ARN,
            reservedConcurrency: "4",
            alarmTopicEncryption: "true",
            accessLogsBucket: "my-access-logs",
        });
        expect(settings).to.include({
            reservedConcurrency: 4,
            alarmTopicEncryption: true,
            accessLogsBucket: "my-access-logs",
        });
    });

    it("refuses a concurrency cap of 0, naming the key", () => {
        expect(problemsOf(() => parse({ streamArn: STREAM_ARN, reservedConcurrency: "0" }))).to.deep.equal([
            'config stock-market-pipeline:reservedConcurrency: expected an integer from 1 to 10000, got "0"',
        ]);
    });

    it("refuses the records bucket as its own access logs bucket", () => {
        expect(
            problemsOf(() =>
                parse({ streamArn: STREAM_ARN, bucketName: "ticks-data", accessLogsBucket: "ticks-data" }),
            ),
        ).to.deep.equal([
            "config stock-market-pipeline:accessLogsBucket: must be another bucket than the records bucket (bucketName ticks-data)",
        ]);
    });
});

describe("stack config: keys outside the project's namespace", () => {
    const AWS_KEYS = ["region", "profile", "defaultTags", "assumeRoles", "skipMetadataApiCheck"];
    const parseAll = (extra: Record<string, string>) =>
        parseStackConfig(
            { "aws:region": "us-east-1", "stock-market-pipeline:streamArn": STREAM_ARN, ...extra },
            "stock-market-pipeline",
            undefined,
            { providerKeys: { aws: AWS_KEYS } },
        );

    it("refuses a namespace a few edits from the project's, naming the key it meant", () => {
        expect(
            problemsOf(() =>
                parseAll({
                    "stock-market-pipline:objectLayout": "batch",
                    "stock-market-pipline:memorysize": "1769",
                    "stockmarketpipeline:batchSize": "500",
                }),
            ),
        ).to.deep.equal([
            "config stock-market-pipline:objectLayout: stock-market-pipline is not this project's namespace, so nothing would read this key: did you mean stock-market-pipeline:objectLayout?",
            "config stock-market-pipline:memorysize: stock-market-pipline is not this project's namespace, so nothing would read this key: did you mean stock-market-pipeline:memorySize?",
            "config stockmarketpipeline:batchSize: stockmarketpipeline is not this project's namespace, so nothing would read this key: did you mean stock-market-pipeline:batchSize?",
        ]);
    });

    it("refuses a key the provider does not take, with the closest it does", () => {
        expect(problemsOf(() => parseAll({ "aws:regoin": "us-east-1", "aws:colour": "blue" }))).to.deep.equal([
            "config aws:regoin: not a key the aws provider takes: did you mean aws:region?",
            "config aws:colour: not a key the aws provider takes: the keys it takes are in its documentation",
        ]);
    });

    it("reports them with the project's own problems, all at once", () => {
        expect(
            problemsOf(() => parseAll({ "aws:regoin": "x", "stock-market-pipeline:batchSize": "0" })),
        ).to.have.length(2);
    });

    it("lets the provider's real keys and other projects' namespaces pass", () => {
        const settings = parseAll({
            "aws:profile": "prod",
            "aws:defaultTags": '{"tags":{"team":"ticks"}}',
            "stock-market-producer:rate": "10",
            "pulumi:tags": "{}",
            "random:seed": "1",
        });
        expect(settings.streamArn).to.equal(STREAM_ARN);
    });
});
