import { expect } from "chai";
import { defaultSettings } from "../../pipeline/infra/config";
import { BillInputs, invocationMs, monthlyBill, SECONDS_PER_MONTH, ticksPerInvocation } from "../../harness/cost/bill";
import { LIST_PRICES, PRICE_DATE, PRICE_REGION } from "../../harness/cost/prices";

const STREAM = "arn:aws:kinesis:us-east-1:111122223333:stream/ticks";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const DASHBOARD = "aws:cloudwatch/dashboard:Dashboard";
const KEY = "aws:kms/key:Key";

const inputs = (overrides: Partial<BillInputs> = {}, settings: Record<string, string> = {}): BillInputs => ({
    settings: defaultSettings(STREAM, settings),
    resourceTypes: [ALARM, ALARM, ALARM, DASHBOARD],
    rate: 1000,
    badRatio: 0,
    daysKept: 30,
    shards: 1,
    ...overrides,
});
const line = (bill: ReturnType<typeof monthlyBill>, start: string) => {
    const found = bill.lines.find(l => l.item.startsWith(start));
    if (!found) throw new Error(`no line ${start}: ${bill.lines.map(l => l.item).join(", ")}`);
    return found.monthly;
};

describe("the monthly bill (npm run plan --rate)", () => {
    it("takes its prices from one table, of one region and date", () => {
        expect(PRICE_REGION).to.equal("us-east-1");
        expect(PRICE_DATE).to.match(/^\d{4}-\d{2}$/);
        expect(SECONDS_PER_MONTH).to.equal(730 * 3600);
    });

    it("fills batches up to batchSize, or with what a shard gets in a poll (a second, or the batching window)", () => {
        const settings = defaultSettings(STREAM, { batchSize: "500", maximumBatchingWindowInSeconds: "5" });
        expect(ticksPerInvocation(settings, 1000, 1)).to.equal(500);
        expect(ticksPerInvocation(settings, 40, 2)).to.equal(100); // 20/s a shard, for 5 s
        expect(ticksPerInvocation(defaultSettings(STREAM), 40, 2)).to.equal(20);
        expect(ticksPerInvocation(defaultSettings(STREAM), 0.01, 4)).to.equal(1);
    });

    it("times an invocation as the measured round trip plus the CPU per tick, stretched below one vCPU", () => {
        // Record layout, 100 ticks at 512 MB: 73.9 - 38.8 = 35.1 ms waiting, 38.8 x 1769/512 = 134.05 ms of CPU.
        expect(invocationMs("record", 100, 512)).to.equal(Math.ceil(35.1 + 38.8 * (1769 / 512)));
        // Batch layout, 500 ticks at 1769 MB: 30.1 ms waiting, 5 x 6.3 ms of CPU at full speed.
        expect(invocationMs("batch", 500, 1769)).to.equal(Math.ceil(30.1 + 31.5));
    });

    describe("of the default stack at 1,000 ticks/s (record layout, 512 MB, batches of 100)", () => {
        const bill = monthlyBill(inputs());
        const ticks = 1000 * 730 * 3600; // 2,628,000,000 a month
        const invocations = ticks / 100;

        it("charges Lambda per invocation and per GB-second of the duration", () => {
            expect(line(bill, "Lambda requests")).to.be.closeTo(invocations * 0.2e-6, 1e-9); // $5.256
            // 170 ms at 0.5 GB: 0.085 GB-s an invocation.
            expect(line(bill, "Lambda duration")).to.be.closeTo(invocations * 0.085 * 0.0000133334, 1e-6);
        });

        it("charges one DynamoDB write unit per tick, and two S3 PUTs (raw/ and processed/)", () => {
            expect(line(bill, "DynamoDB writes")).to.be.closeTo(1642.5, 1e-6);
            expect(line(bill, "S3 PUTs")).to.be.closeTo(26_280, 1e-6);
        });

        it("costs $10.64 per million ticks, as the bench's table says, less the logs", () => {
            const perMillion = (bill.totals["per tick"] - line(bill, "CloudWatch Logs ingested")) / (ticks / 1e6);
            expect(perMillion).to.be.closeTo(10.64, 0.01);
        });

        it("keeps the fixed part apart: 3 alarms, the dashboard, 4 custom metrics, no key", () => {
            expect(bill.totals.fixed).to.be.closeTo(3 * 0.1 + 3 + 4 * 0.3, 1e-9);
            expect(line(bill, "KMS keys")).to.equal(0);
        });

        it("says what it leaves out: Kinesis, and Athena as a rate per TB", () => {
            expect(bill.notCounted[0]).to.match(/^Kinesis: the stream is module 1's.*not counted/);
            expect(bill.notCounted[1]).to.match(/^Athena: \$5\.00 per TB scanned/);
        });

        it("adds the groups up to the total", () => {
            const sum = bill.lines.reduce((total, l) => total + l.monthly, 0);
            expect(bill.total).to.be.closeTo(sum, 1e-6);
        });
    });

    it("grows with the rate, while the fixed part stays", () => {
        const bills = [1, 1000, 10_000].map(rate => monthlyBill(inputs({ rate, shards: Math.ceil(rate / 1000) })));
        expect(bills[1].total).to.be.greaterThan(bills[0].total);
        expect(bills[2].total).to.be.greaterThan(bills[1].total);
        expect(bills.map(b => b.totals.fixed)).to.deep.equal([
            bills[0].totals.fixed,
            bills[0].totals.fixed,
            bills[0].totals.fixed,
        ]);
    });

    it("counts a key of the stack's at $1 a month", () => {
        const withKey = monthlyBill(inputs({ resourceTypes: [ALARM, DASHBOARD, KEY] }));
        expect(line(withKey, "KMS keys")).to.equal(LIST_PRICES.kms.keyPerMonth);
    });

    it("stops the table's storage from growing past itemTtlDays", () => {
        const table = (daysKept: number, ttl?: string) =>
            line(monthlyBill(inputs({ daysKept }, ttl ? { itemTtlDays: ttl } : {})), "DynamoDB table");
        expect(table(60, "30")).to.be.closeTo(table(365, "30"), 1e-9);
        expect(table(60)).to.be.closeTo(2 * table(30), 1e-6);
        expect(table(365)).to.be.greaterThan(table(365, "30"));
    });

    it("keeps an expired object's old version noncurrentVersionDays, then lets it go", () => {
        const raw = (daysKept: number) =>
            line(
                monthlyBill(inputs({ daysKept }, { rawExpireAfterDays: "10", noncurrentVersionDays: "5" })),
                "S3 raw/",
            );
        // Up to day 10 current, 5 more days noncurrent; afterwards no more than 15 days' worth (plus rewrites).
        expect(raw(15)).to.be.closeTo(raw(400), 1e-9);
        expect(raw(12)).to.be.lessThan(raw(15));
    });

    it("charges the batch layout a few PUTs per invocation, and one more when the batch holds an invalid record", () => {
        const batch = (badRatio: number) =>
            line(monthlyBill(inputs({ badRatio }, { objectLayout: "batch" })), "S3 PUTs");
        const invocations = (1000 * SECONDS_PER_MONTH) / 100;
        expect(batch(0)).to.be.closeTo(invocations * 2 * 0.005e-3, 1e-6);
        // With 1% invalid, a batch of 100 holds one with probability 1 - 0.99^100 (63%).
        expect(batch(0.01)).to.be.closeTo(invocations * (2 + (1 - 0.99 ** 100)) * 0.005e-3, 1e-6);
    });

    it("prints on every line the price its cost is computed at: the cost is the quantity at that price", () => {
        const number = (text: string) => Number(text.replace(/,/g, ""));
        const scale: Record<string, number> = { million: 1e6, billion: 1e9 };
        const bills = [
            monthlyBill(inputs({ resourceTypes: [ALARM, DASHBOARD, KEY] })),
            monthlyBill(
                inputs(
                    { rate: 20, badRatio: 0.05, daysKept: 400 },
                    { objectLayout: "batch", dayIndex: "true", accessLogsBucket: "access-logs", itemTtlDays: "30" },
                ),
            ),
        ];
        const priced = bills.flatMap(bill => bill.lines).filter(l => l.monthly > 0);
        expect(priced).to.have.length.above(20);
        for (const l of priced) {
            const price = /^\$([\d,.]+) per (?:(million|[\d,]+)(?: |$))?/.exec(l.price);
            const quantity = /^([\d,.]+)(?: (million|billion))?/.exec(l.quantity);
            expect(price, `${l.item}: ${l.price}`).to.not.equal(null);
            expect(quantity, `${l.item}: ${l.quantity}`).to.not.equal(null);
            const per = price![2] === undefined ? 1 : (scale[price![2]] ?? number(price![2]));
            const units = number(quantity![1]) * (scale[quantity![2]] ?? 1);
            // The quantity is printed to 2 decimals or 3 figures: within 1% of what the cost counts.
            expect(l.monthly / (number(price![1]) / per), `${l.item}: ${l.quantity} at ${l.price}`).to.be.closeTo(
                units,
                units * 0.01,
            );
        }
    });
});
