// Retention of the table's items (ITEM_TTL_DAYS): each item's expiresAt, from its record's arrival.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import * as FakeTimers from "@sinonjs/fake-timers";
import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import { expiresAt } from "../../pipeline/runtime/batch";
import { createHandler, itemTtlDaysFromEnvironment } from "../../pipeline/runtime/handler";
import { ARRIVAL, kinesisEvent, tick } from "../support/kinesis-events";

const DAY = 86_400;

describe("an item's expiry (expiresAt)", () => {
    it("is the record's arrival, in whole seconds, plus the days", () => {
        expect(expiresAt(1795876200.999, 7)).to.equal(1795876200 + 7 * DAY);
        expect(expiresAt(1795876200, 1)).to.equal(1795876200 + DAY);
    });
});

describe("ITEM_TTL_DAYS", () => {
    it("is off when unset or empty, and a whole number of days from 1 otherwise", () => {
        expect([undefined, "", "1", "7", "3650"].map(itemTtlDaysFromEnvironment)).to.deep.equal([
            undefined,
            undefined,
            1,
            7,
            3650,
        ]);
    });

    for (const bad of ["seven", "0", "-1", "1.5", "7 ", "1e3", "99999999999999999999"]) {
        it(`refuses "${bad}", naming the variable`, () => {
            expect(() => itemTtlDaysFromEnvironment(bad)).to.throw(
                `ITEM_TTL_DAYS must be a whole number of days from 1, got "${bad}"`,
            );
        });
    }
});

describe("the handler with items that expire", () => {
    const dynamoClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
    const s3Client = new S3Client({ region: "us-east-1" });
    const dynamo = mockClient(dynamoClient);
    const s3 = mockClient(s3Client);
    beforeEach(() => {
        dynamo.reset();
        s3.reset();
        dynamo.on(BatchWriteCommand).resolves({});
        s3.on(PutObjectCommand).resolves({});
    });

    const handlerWith = (itemTtlDays?: number) =>
        createHandler({
            tableName: "StockMarketData",
            bucketName: "stock-market-data",
            dynamo: dynamoClient,
            s3: s3Client,
            s3MaxInFlight: 8,
            itemTtlDays,
            observe: () => undefined,
        });

    /** Every item the handler sent, in order. */
    const itemsWritten = () =>
        dynamo
            .commandCalls(BatchWriteCommand)
            .flatMap(call => Object.values(call.args[0].input.RequestItems ?? {}).flat())
            .map(request => request.PutRequest!.Item as Record<string, unknown>);

    const event = kinesisEvent([
        tick("AAPL", "189.12", "2020-01-02T10:00:00"),
        tick("MSFT", "415.5", "2026-11-28T14:30:00"),
    ]);

    it("gives every item expiresAt from its record's arrival, not from its tick's timestamp", async () => {
        await handlerWith(7)(event);
        const items = itemsWritten();
        expect(items).to.have.length(2);
        for (const item of items) expect(item.expiresAt).to.equal(Math.floor(ARRIVAL) + 7 * DAY);
    });

    it("writes the same expiresAt when the batch is delivered again, days later", async () => {
        await handlerWith(7)(event);
        const first = itemsWritten().map(item => item.expiresAt);
        dynamo.resetHistory();
        // Only the date moves: the handler's timers stay real.
        const clock = FakeTimers.install({ now: Date.now() + 3 * DAY * 1000, toFake: ["Date"] });
        try {
            await handlerWith(7)(event);
        } finally {
            clock.uninstall();
        }
        expect(itemsWritten().map(item => item.expiresAt)).to.deep.equal(first);
    });

    it("writes no expiresAt without a TTL", async () => {
        await handlerWith()(event);
        for (const item of itemsWritten()) expect(item).to.not.have.property("expiresAt");
    });
});
