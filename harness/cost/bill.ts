/**
 * A stack's monthly bill at a tick rate (`npm run plan -- --stack S --rate N`): what runs whatever
 * the rate (fixed), what each tick costs (per tick), and what the stores hold after some days
 * (storage, which grows until retention caps it), line by line, at the list prices of
 * prices.ts. From the stack's settings, the resources its program declares (alarms, dashboards,
 * keys), the bench's measured CPU per batch, and object and item sizes measured on the
 * processor's own code. Pure: nothing is called.
 */
import type { KinesisStreamRecord } from "aws-lambda";
import type { PipelineSettings } from "../../pipeline/infra/config";
import { MIN_TRANSITION_BYTES } from "../../pipeline/infra/config/rules";
import { expiresAt, planBatch, TickPlan } from "../../pipeline/runtime/batch";
import { plannedObjects } from "../../pipeline/runtime/layouts";
import { METRICS, ObjectLayout, PREFIXES, TTL_ATTRIBUTE } from "../../pipeline/schema";
import { RecordSource, toEventRecord } from "../event-source-mapping/event-record";
import { DEFAULT_SYMBOLS, seededRandom, TickGenerator } from "../local-stack/ticks";
import { table } from "../cli/text-table";
import { itemSize } from "../sink/write-units";
import { FULL_VCPU_MB, lambdaDurationMs, SHARD_RECORDS_PER_SECOND } from "./model";
import { dollars, listPriceText } from "./money";
import { GB, HOURS_PER_MONTH, LIST_PRICES, PRICE_DATE, PRICE_REGION } from "./prices";

const P = LIST_PRICES;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;
const SECONDS_PER_DAY = 86_400;
const DAYS_PER_MONTH = SECONDS_PER_MONTH / SECONDS_PER_DAY;
const MILLION = 1_000_000;

/**
 * The processor's CPU and wall time per batch of 100 ticks, as `npm run bench` measured them (the
 * run docs/performance.md shows: 10 ms per DynamoDB and 30 ms per S3 request). The
 * CPU grows with the batch's records; the rest is about one round trip, whatever the batch.
 */
export const MEASURED_BATCH = {
    batchSize: 100,
    record: { cpuMs: 38.8, wallMs: 73.9 },
    batch: { cpuMs: 6.3, wallMs: 36.4 },
} as const;

/** DynamoDB bills each item's size plus this much of indexing overhead. */
const ITEM_OVERHEAD_BYTES = 100;
/** One invocation's log: the processor's JSON line and its EMF metrics (about 700 bytes measured), with Lambda's fields. */
export const LOG_BYTES_PER_INVOCATION = 800;
/** CloudWatch Logs bills stored logs compressed: taken as a sixth of what was ingested. */
const LOG_COMPRESSION = 6;
/** One S3 server access log record, about (a line per request). */
const ACCESS_LOG_BYTES_PER_REQUEST = 350;
/**
 * The share of objects written twice (a redelivered batch rewrites the same keys), whose first
 * version the versioned bucket keeps noncurrentVersionDays: an assumption, not a measurement.
 */
export const REWRITTEN_SHARE = 0.01;

/** What a bill is computed from. */
export interface BillInputs {
    settings: PipelineSettings;
    /** The resource types the stack's program declared, one entry per resource. */
    resourceTypes: string[];
    /** Ticks per second the stream carries. */
    rate: number;
    /** The share of records that are invalid (quarantined under rejected/), 0 to 1. */
    badRatio: number;
    /** Days of ticks the stores hold when the bill is taken (each store at most its retention). */
    daysKept: number;
    /** The stream's open shards: they decide how full the batches get at a low rate. */
    shards: number;
}

export type BillGroup = "fixed" | "per tick" | "storage";

export interface BillLine {
    group: BillGroup;
    item: string;
    /** How much of it, in words (e.g. "4.38 million requests"). */
    quantity: string;
    /** The price it is charged at, in words (e.g. "$0.20 per million"). */
    price: string;
    /** Dollars a month. */
    monthly: number;
}

export interface MonthlyBill {
    lines: BillLine[];
    totals: Record<BillGroup, number>;
    total: number;
    /** How the batches and objects come out at this rate: what the lines are computed from. */
    basis: string[];
    /** What the total leaves out, and why. */
    notCounted: string[];
}

/** Bytes each record leaves under each prefix, and an item's size, measured on the processor's code. */
export interface RecordSizes {
    /** A valid tick's raw/ and processed/ bytes; an invalid record's raw/ and rejected/ bytes. */
    validRaw: number;
    processed: number;
    invalidRaw: number;
    rejected: number;
    /** A valid tick's item, as DynamoDB sizes it (with expiresAt when items expire). */
    item: number;
}

/**
 * Ticks per invocation at `rate`: the mapping reads each shard about once a second (or waits up
 * to maximumBatchingWindowInSeconds to fill a batch), so a slow stream makes small batches.
 */
export function ticksPerInvocation(
    settings: Pick<PipelineSettings, "batchSize" | "maximumBatchingWindowInSeconds">,
    rate: number,
    shards: number,
): number {
    const perPoll = (rate / Math.max(1, shards)) * Math.max(1, settings.maximumBatchingWindowInSeconds);
    return Math.max(1, Math.min(settings.batchSize, perPoll));
}

/**
 * An invocation's billed duration in ms at `memoryMb`: the measured batch with its CPU scaled to
 * `ticks` (the waiting is about one round trip, whatever the batch), in Lambda at that memory
 * (lambdaDurationMs), rounded up to the ms.
 */
export function invocationMs(layout: ObjectLayout, ticks: number, memoryMb: number): number {
    const measured = MEASURED_BATCH[layout];
    const cpuMs = (measured.cpuMs / MEASURED_BATCH.batchSize) * ticks;
    return Math.ceil(lambdaDurationMs({ wallMs: measured.wallMs - measured.cpuMs + cpuMs, cpuMs }, memoryMb));
}

/** Where the bill's sample records were read from: only these names are written into them. */
const SAMPLE_SOURCE: RecordSource = {
    streamArn: "arn:aws:kinesis:us-east-1:111122223333:stream/ticks",
    shardId: "shardId-000000000000",
    region: "us-east-1",
    invokeIdentityArn: "arn:aws:iam::111122223333:role/processor",
};

/** `count` records as a mapping delivers them, generated as the local producer makes them. */
function sampleRecords(count: number, badRatio: number, seed: number): KinesisStreamRecord[] {
    const generator = new TickGenerator(DEFAULT_SYMBOLS, badRatio, seededRandom(seed));
    const arrival = new Date(Date.UTC(2026, 10, 28, 14, 30));
    return Array.from({ length: count }, (_, i) => {
        const record = generator.next(arrival.getTime());
        const sequenceNumber = `49659033827149025660855969253836157109592157598913${String(100000 + i)}`;
        return toEventRecord(
            {
                Data: record.data,
                PartitionKey: record.partitionKey,
                SequenceNumber: sequenceNumber,
                ApproximateArrivalTimestamp: arrival,
            },
            SAMPLE_SOURCE,
        );
    });
}

/** Bytes per record under each prefix in batches of `ticks` records, from the objects the processor plans. */
function recordSizes(layout: ObjectLayout, ticks: number, itemTtlDays?: number): RecordSizes {
    // Sizes per record settle within a few thousand records; a sample that large is enough.
    const count = Math.max(1, Math.min(2000, Math.round(ticks)));
    const bytesUnder = (records: KinesisStreamRecord[], prefix: string) =>
        plannedObjects(layout, planBatch(records))
            .filter(put => put.key.startsWith(prefix))
            .reduce((sum, put) => sum + Buffer.byteLength(put.body), 0) / records.length;
    const valid = sampleRecords(count, 0, 1);
    const invalid = sampleRecords(count, 1, 2);
    const ticksPlanned = planBatch(valid).filter((plan): plan is TickPlan => plan.tick !== undefined);
    const items = ticksPlanned.map(plan => {
        const { symbol, timestamp, price, day } = plan.tick;
        const item: Record<string, Record<string, string>> = {
            symbol: { S: symbol },
            timestamp: { S: timestamp },
            price: { N: price },
            day: { S: day },
        };
        if (itemTtlDays !== undefined)
            item[TTL_ATTRIBUTE] = { N: String(expiresAt(plan.approximateArrivalTimestamp, itemTtlDays)) };
        return itemSize(item);
    });
    return {
        validRaw: bytesUnder(valid, PREFIXES.raw),
        processed: bytesUnder(valid, PREFIXES.processed),
        invalidRaw: bytesUnder(invalid, PREFIXES.raw),
        rejected: bytesUnder(invalid, PREFIXES.rejected),
        item: items.reduce((a, b) => a + b, 0) / items.length,
    };
}

const count = (types: string[], type: string) => types.filter(t => t === type).length;

/** Numbers as the bill writes them. */
export function quantity(n: number): string {
    if (n >= 1e9) return `${(n / 1e9).toFixed(2)} billion`;
    if (n >= 1e6) return `${(n / 1e6).toFixed(2)} million`;
    return n >= 100 ? Math.round(n).toLocaleString("en-US") : String(Number(n.toFixed(2)));
}

const gb = (bytes: number) => bytes / GB;
const gbText = (bytes: number) => `${quantity(gb(bytes))} GB`;

/** Days a store keeps what it got each day: the days kept, at most `retention` when it has one. */
const heldDays = (daysKept: number, retention?: number) => Math.min(daysKept, retention ?? Infinity);

/** The monthly bill: every line, the totals per group and overall, and what it is based on. */
export function monthlyBill(inputs: BillInputs): MonthlyBill {
    const { settings: s, rate, badRatio, daysKept, shards, resourceTypes } = inputs;
    const layout = s.objectLayout;
    const lines: BillLine[] = [];
    const add = (group: BillGroup, item: string, q: string, price: string, monthly: number) =>
        lines.push({ group, item, quantity: q, price, monthly });

    // Per tick: what the month's ticks cost.
    const ticks = rate * SECONDS_PER_MONTH;
    const valid = ticks * (1 - badRatio);
    const perInvocation = ticksPerInvocation(s, rate, shards);
    const invocations = ticks / perInvocation;
    const ms = invocationMs(layout, perInvocation, s.memorySize);
    const gbSeconds = invocations * (ms / 1000) * (s.memorySize / 1024);
    const sizes = recordSizes(layout, perInvocation, s.itemTtlDays);
    const writeUnits = Math.ceil(sizes.item / 1024);
    const batchHasInvalid = 1 - (1 - badRatio) ** perInvocation;
    const puts = layout === "record" ? ticks * 2 : invocations * (1 + (badRatio < 1 ? 1 : 0) + batchHasInvalid);
    const rawObjectsPerMonth = layout === "record" ? ticks : invocations;
    const logBytes = invocations * LOG_BYTES_PER_INVOCATION;

    add(
        "per tick",
        "Lambda requests",
        `${quantity(invocations)} invocations`,
        listPriceText(P.lambda.perRequest, MILLION),
        invocations * P.lambda.perRequest,
    );
    add(
        "per tick",
        `Lambda duration (${s.memorySize} MB, ~${ms} ms per invocation)`,
        `${quantity(gbSeconds)} GB-s`,
        listPriceText(P.lambda.perGbSecond, 1, "GB-s"),
        gbSeconds * P.lambda.perGbSecond,
    );
    add(
        "per tick",
        "DynamoDB writes (on demand)",
        `${quantity(valid * writeUnits)} write units`,
        listPriceText(P.dynamodb.perWriteUnit, MILLION),
        valid * writeUnits * P.dynamodb.perWriteUnit,
    );
    add(
        "per tick",
        `S3 PUTs (${layout} layout)`,
        `${quantity(puts)} requests`,
        listPriceText(P.s3.putPerRequest, 1000),
        puts * P.s3.putPerRequest,
    );
    add(
        "per tick",
        "CloudWatch Logs ingested",
        gbText(logBytes),
        listPriceText(P.cloudwatch.logsIngestedPerGb, 1, "GB"),
        gb(logBytes) * P.cloudwatch.logsIngestedPerGb,
    );
    const archiveActs =
        s.rawArchiveAfterDays > 0 && layout === "batch" && perInvocation * sizes.validRaw >= MIN_TRANSITION_BYTES;
    if (archiveActs && daysKept > s.rawArchiveAfterDays) {
        const price = P.s3.transitionPerRequest[s.rawArchiveStorageClass];
        add(
            "per tick",
            `S3 transitions of raw/ to ${s.rawArchiveStorageClass}`,
            `${quantity(rawObjectsPerMonth)} requests`,
            listPriceText(price, 1000),
            rawObjectsPerMonth * price,
        );
    }
    add(
        "per tick",
        "SQS failure queue",
        "only records given up on",
        listPriceText(P.sqs.perRequest, MILLION, "requests"),
        0,
    );

    // Fixed: what runs whatever the rate.
    const alarms = count(resourceTypes, "aws:cloudwatch/metricAlarm:MetricAlarm");
    const dashboards = count(resourceTypes, "aws:cloudwatch/dashboard:Dashboard");
    const keys = count(resourceTypes, "aws:kms/key:Key");
    const metrics = Object.keys(METRICS).length;
    add(
        "fixed",
        "CloudWatch alarms",
        `${alarms}`,
        listPriceText(P.cloudwatch.alarmPerMonth, 1, "alarm-month"),
        alarms * P.cloudwatch.alarmPerMonth,
    );
    add(
        "fixed",
        "CloudWatch dashboard",
        `${dashboards}`,
        listPriceText(P.cloudwatch.dashboardPerMonth, 1, "dashboard-month"),
        dashboards * P.cloudwatch.dashboardPerMonth,
    );
    add(
        "fixed",
        "CloudWatch custom metrics (EMF)",
        `${metrics}`,
        listPriceText(P.cloudwatch.metricPerMonth, 1, "metric-month"),
        metrics * P.cloudwatch.metricPerMonth,
    );
    add(
        "fixed",
        "KMS keys of the stack's",
        `${keys}`,
        listPriceText(P.kms.keyPerMonth, 1, "key-month"),
        keys * P.kms.keyPerMonth,
    );

    // Storage: what the stores hold after daysKept days.
    const perDay = rate * SECONDS_PER_DAY;
    const itemsHeld = perDay * (1 - badRatio) * heldDays(daysKept, s.itemTtlDays);
    const tableBytes = itemsHeld * (sizes.item + ITEM_OVERHEAD_BYTES) * (s.dayIndex ? 2 : 1);
    add(
        "storage",
        `DynamoDB table (${s.itemTtlDays ? `items expire after ${s.itemTtlDays} days` : "items kept for good"}${s.dayIndex ? ", byDay index" : ""})`,
        gbText(tableBytes),
        listPriceText(P.dynamodb.storagePerGbMonth, 1, "GB-month"),
        gb(tableBytes) * P.dynamodb.storagePerGbMonth,
    );
    add(
        "storage",
        "DynamoDB point-in-time recovery",
        gbText(tableBytes),
        listPriceText(P.dynamodb.pitrPerGbMonth, 1, "GB-month"),
        gb(tableBytes) * P.dynamodb.pitrPerGbMonth,
    );
    const prefixes = [
        {
            prefix: PREFIXES.raw,
            perDay: perDay * ((1 - badRatio) * sizes.validRaw + badRatio * sizes.invalidRaw),
            expire: s.rawExpireAfterDays,
        },
        {
            prefix: PREFIXES.processed,
            perDay: perDay * (1 - badRatio) * sizes.processed,
            expire: s.processedExpireAfterDays,
        },
        { prefix: PREFIXES.rejected, perDay: perDay * badRatio * sizes.rejected, expire: s.rejectedExpireAfterDays },
    ];
    for (const { prefix, perDay: bytesPerDay, expire } of prefixes) {
        const current = bytesPerDay * heldDays(daysKept, expire);
        // Versioned: an expired object stays noncurrentVersionDays more, and so does a rewritten one's first version.
        const expired = expire === undefined ? 0 : Math.max(0, Math.min(daysKept - expire, s.noncurrentVersionDays));
        const noncurrent = bytesPerDay * (expired + REWRITTEN_SHARE * heldDays(daysKept, s.noncurrentVersionDays));
        const archived =
            prefix === PREFIXES.raw && archiveActs
                ? bytesPerDay * Math.max(0, heldDays(daysKept, expire) - s.rawArchiveAfterDays)
                : 0;
        const standard = current - archived + noncurrent;
        const retention = expire ? `expire after ${expire} days` : "kept for good";
        add(
            "storage",
            `S3 ${prefix} (${retention}; old versions included)`,
            gbText(standard),
            listPriceText(P.s3.storagePerGbMonth.STANDARD, 1, "GB-month"),
            gb(standard) * P.s3.storagePerGbMonth.STANDARD,
        );
        if (archived > 0) {
            const price = P.s3.storagePerGbMonth[s.rawArchiveStorageClass];
            add(
                "storage",
                `S3 ${prefix} in ${s.rawArchiveStorageClass}`,
                gbText(archived),
                listPriceText(price, 1, "GB-month"),
                gb(archived) * price,
            );
        }
    }
    const logsHeld = ((logBytes / DAYS_PER_MONTH) * heldDays(daysKept, s.logRetentionDays)) / LOG_COMPRESSION;
    add(
        "storage",
        `CloudWatch Logs (kept ${s.logRetentionDays} days)`,
        gbText(logsHeld),
        listPriceText(P.cloudwatch.logsStoredPerGbMonth, 1, "GB-month"),
        gb(logsHeld) * P.cloudwatch.logsStoredPerGbMonth,
    );
    if (s.accessLogsBucket) {
        const accessBytes = (puts / DAYS_PER_MONTH) * daysKept * ACCESS_LOG_BYTES_PER_REQUEST;
        add(
            "storage",
            `S3 server access logs in ${s.accessLogsBucket}`,
            gbText(accessBytes),
            listPriceText(P.s3.storagePerGbMonth.STANDARD, 1, "GB-month"),
            gb(accessBytes) * P.s3.storagePerGbMonth.STANDARD,
        );
    }

    const totals = { fixed: 0, "per tick": 0, storage: 0 } as Record<BillGroup, number>;
    for (const line of lines) totals[line.group] += line.monthly;
    const processedPerDay = perDay * (1 - badRatio) * sizes.processed;
    return {
        lines,
        totals,
        total: totals.fixed + totals["per tick"] + totals.storage,
        basis: [
            `${quantity(rate)} ticks/s (${quantity(ticks)} a month of ${HOURS_PER_MONTH} hours), ${Math.round(badRatio * 100)}% invalid, ${shards} shard${shards === 1 ? "" : "s"}` +
                (rate > shards * SHARD_RECORDS_PER_SECOND
                    ? ` (a shard takes at most ${quantity(SHARD_RECORDS_PER_SECOND)} records/s: this rate needs ${Math.ceil(rate / SHARD_RECORDS_PER_SECOND)} shards, --shards)`
                    : ""),
            `${quantity(perInvocation)} ticks per invocation (batchSize ${s.batchSize}; the mapping reads each shard about once a second, or waits maximumBatchingWindowInSeconds ${s.maximumBatchingWindowInSeconds})`,
            `CPU per batch of 100 as npm run bench measured it (${MEASURED_BATCH[layout].cpuMs} ms in the ${layout} layout, docs/performance.md), stretched below ${FULL_VCPU_MB.toLocaleString("en-US")} MB`,
            `object and item sizes measured on the processor's code: raw/ ${sizes.validRaw.toFixed(0)} B, processed/ ${sizes.processed.toFixed(0)} B, rejected/ ${sizes.rejected.toFixed(0)} B per record, items of ${sizes.item.toFixed(0)} B (${writeUnits} write unit)`,
            `storage after ${daysKept} days of ticks (--days-kept), each store at most its retention; ${REWRITTEN_SHARE * 100}% of objects assumed rewritten by redeliveries, their old version kept ${s.noncurrentVersionDays} days`,
        ],
        notCounted: [
            "Kinesis: the stream is module 1's, billed to its owner (shard hours, PUT payload units), not counted here",
            `Athena: ${listPriceText(P.athena.perTbScanned, 1, "TB scanned")}, so it depends on your queries; one day of processed/ is ${gbText(processedPerDay)} here, ${dollars((gb(processedPerDay) / 1024) * P.athena.perTbScanned)} to scan (at least 10 MB a query); the workgroup caps a query at ${s.athenaBytesScannedCutoffGiB} GiB`,
            "KMS requests (the stream's key, the alarm topic's key for each alarm), SNS email notifications, Glue catalog (within its free million objects), the Athena results bucket: cents",
            "free tiers (e.g. an account's first 3 dashboards), taxes, data transfer (nothing leaves the region), support plans; S3 writes its access logs for free, only their storage is billed",
        ],
    };
}

/** The bill as `npm run plan --rate` prints it. */
export function formatBill(stack: string, bill: MonthlyBill): string[] {
    const section = (group: BillGroup, title: string) => [
        [title, "", "", ""],
        ...bill.lines
            .filter(line => line.group === group)
            .map(line => [`  ${line.item}`, line.quantity, line.price, dollars(line.monthly)]),
        [`  subtotal`, "", "", dollars(bill.totals[group])],
    ];
    const rows = [
        ["", "quantity a month", "price", "per month"],
        ...section("fixed", "fixed (whatever the rate)"),
        ...section("per tick", "per tick (grows with the rate)"),
        ...section("storage", "storage (grows with the days kept, up to the retention)"),
        ["total", "", "", dollars(bill.total)],
    ];
    return [
        `monthly bill of stack ${stack}, at ${PRICE_REGION} list prices of ${PRICE_DATE} (harness/cost/prices.ts), on demand, without free tiers:`,
        ...bill.basis.map(line => `  ${line}`),
        "",
        ...table(rows),
        "",
        "not counted:",
        ...bill.notCounted.map(line => `  ${line}`),
    ];
}
