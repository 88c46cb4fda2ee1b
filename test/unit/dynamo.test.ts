// The DynamoDB adapter against a stubbed client: what it sends again, and what it reports unwritten.
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { expect } from "chai";
import { mockClient } from "aws-sdk-client-mock";
import { tickKey } from "../../pipeline/runtime/batch";
import { unprocessedTicks, writeTicks } from "../../pipeline/runtime/dynamo";
import type { StoredTick } from "../../pipeline/runtime/tick";

const TABLE = "StockMarketData";
const TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/StockMarketData";
const tick = (symbol: string, price = "1.5"): StoredTick => ({
    symbol,
    price,
    timestamp: "2026-11-28T10:00:00Z",
    day: "2026-11-28",
});
const AAPL = tick("AAPL");
const MSFT = tick("MSFT");
const IBM = tick("IBM");
/** An entry of UnprocessedItems as the document client returns it (unmarshalled, numbers wrapped). */
const returned = (t: StoredTick) => ({ PutRequest: { Item: { symbol: t.symbol, timestamp: t.timestamp } } });

/** The symbols of each BatchWriteItem the stub received, in order. */
function batchWrites(stub: ReturnType<typeof mockClient>): string[][] {
    return stub.commandCalls(BatchWriteCommand).map(call => {
        const requests = Object.values(call.args[0].input.RequestItems ?? {}).flat() as {
            PutRequest: { Item: StoredTick };
        }[];
        return requests.map(request => request.PutRequest.Item.symbol);
    });
}

describe("the DynamoDB adapter", () => {
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
    const dynamo = mockClient(client);
    beforeEach(() => dynamo.reset());
    const write = (ticks: StoredTick[], deadline = Date.now() + 5_000) =>
        writeTicks(client, TABLE, ticks, { deadline }, () => undefined);

    describe("with items DynamoDB leaves unprocessed", () => {
        it("sends again those it returns under the table's name", async () => {
            dynamo
                .on(BatchWriteCommand)
                .resolvesOnce({ UnprocessedItems: { [TABLE]: [returned(MSFT)] } })
                .resolves({});
            expect([...(await write([AAPL, MSFT, IBM]))]).to.deep.equal([]);
            expect(batchWrites(dynamo)).to.deep.equal([["AAPL", "MSFT", "IBM"], ["MSFT"]]);
        });

        it("sends again those it returns under the table's ARN", async () => {
            dynamo
                .on(BatchWriteCommand)
                .resolvesOnce({ UnprocessedItems: { [TABLE_ARN]: [returned(MSFT)] } })
                .resolves({});
            expect([...(await write([AAPL, MSFT, IBM]))]).to.deep.equal([]);
            expect(batchWrites(dynamo)).to.deep.equal([["AAPL", "MSFT", "IBM"], ["MSFT"]]);
        });

        it("reports them unwritten when they stay unprocessed, whatever key they come back under", async () => {
            dynamo.on(BatchWriteCommand).resolves({ UnprocessedItems: { [TABLE_ARN]: [returned(MSFT)] } });
            const failed = await write([AAPL, MSFT], Date.now() + 150);
            expect([...failed]).to.deep.equal([tickKey(MSFT)]);
        });

        it("sends the whole request again when an entry matches no tick it sent", async () => {
            dynamo
                .on(BatchWriteCommand)
                .resolvesOnce({ UnprocessedItems: { [TABLE]: [returned(tick("ZZZ"))] } })
                .resolves({});
            expect([...(await write([AAPL, MSFT]))]).to.deep.equal([]);
            expect(batchWrites(dynamo)).to.deep.equal([
                ["AAPL", "MSFT"],
                ["AAPL", "MSFT"],
            ]);
        });
    });

    describe("which ticks to send again", () => {
        const chunk = [AAPL, MSFT, IBM];
        const cases: [string, Parameters<typeof unprocessedTicks>[1], StoredTick[]][] = [
            ["none when nothing is returned", undefined, []],
            ["none for an empty map", {}, []],
            ["the returned ones, in the order sent", { [TABLE]: [returned(IBM), returned(AAPL)] }, [AAPL, IBM]],
            ["those of every key of the map", { [TABLE]: [returned(AAPL)], [TABLE_ARN]: [returned(IBM)] }, [AAPL, IBM]],
            ["all for an entry that is not a put", { [TABLE]: [{}] }, chunk],
            ["all for an entry without a key", { [TABLE]: [{ PutRequest: { Item: { price: 1 } } }] }, chunk],
        ];
        for (const [what, unprocessed, expected] of cases) {
            it(what, () => expect(unprocessedTicks(chunk, unprocessed)).to.deep.equal(expected));
        }
    });

    it("puts no tick one by one after the deadline, when the refused request took that long", async () => {
        const deadline = Date.now() + 50;
        dynamo.on(BatchWriteCommand).callsFake(async () => {
            await new Promise(resolve => setTimeout(resolve, deadline - Date.now() + 20));
            throw Object.assign(new Error("bad item"), {
                name: "ValidationException",
                $metadata: { httpStatusCode: 400 },
            });
        });
        dynamo.on(PutCommand).resolves({});
        const failed = await write([AAPL, MSFT, IBM], deadline);
        expect(dynamo.commandCalls(PutCommand)).to.have.length(0);
        expect([...failed].sort()).to.deep.equal([AAPL, IBM, MSFT].map(tickKey));
    });

    it("puts the ticks of a request refused for good one by one, so that only the culprit fails", async () => {
        const refused = Object.assign(new Error("bad item"), {
            name: "ValidationException",
            $metadata: { httpStatusCode: 400 },
        });
        dynamo.on(BatchWriteCommand).rejects(refused);
        dynamo.on(PutCommand).callsFake(input => {
            if (input.Item.symbol === "MSFT") throw refused;
            return {};
        });
        const failed = await write([AAPL, MSFT, IBM]);
        expect([...failed]).to.deep.equal([tickKey(MSFT)]);
        expect(dynamo.commandCalls(PutCommand)).to.have.length(3);
    });
});
