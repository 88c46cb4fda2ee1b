/** The DynamoDB adapter: writes ticks with BatchWriteItem, exact prices, retries within the deadline. */
import { BatchWriteCommand, DynamoDBDocumentClient, NumberValue } from "@aws-sdk/lib-dynamodb";
import type { StoredTick } from "./tick";
import { tickKey } from "./batch";
import { isTransient, mapConcurrent, retryUntilDeadline } from "./retry";

/** BatchWriteItem's limit. */
const ITEMS_PER_REQUEST = 25;
/** Batch writes in flight at once (a batch of 10,000 ticks is 400 requests). */
const PARALLEL_REQUESTS = 16;

function toItem(tick: StoredTick) {
    // NumberValue keeps the exact decimal text; a JS number would round it to a double.
    return { symbol: tick.symbol, timestamp: tick.timestamp, price: NumberValue.from(tick.price), day: tick.day };
}

function chunks<T>(items: T[], size: number): T[][] {
    return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

/**
 * Writes every tick (keys must be unique), 25 per request, requests in parallel; retries
 * `UnprocessedItems` and transient errors with backoff until the deadline.
 * Returns the keys (see `tickKey`) of the ticks that could not be written.
 */
export async function writeTicks(client: DynamoDBDocumentClient, tableName: string, ticks: StoredTick[], deadline: number): Promise<Set<string>> {
    const failed = new Set<string>();
    const attempt = async (pending: StoredTick[]): Promise<StoredTick[]> => {
        const retries = await mapConcurrent(chunks(pending, ITEMS_PER_REQUEST), PARALLEL_REQUESTS, async chunk => {
            try {
                const { UnprocessedItems } = await client.send(new BatchWriteCommand({
                    RequestItems: { [tableName]: chunk.map(tick => ({ PutRequest: { Item: toItem(tick) } })) },
                }));
                // Unprocessed items come back unmarshalled (prices as doubles): resend our own copies.
                const unprocessed = new Set((UnprocessedItems?.[tableName] ?? []).map(request => tickKey(request.PutRequest!.Item as StoredTick)));
                return chunk.filter(tick => unprocessed.has(tickKey(tick)));
            } catch (error) {
                if (isTransient(error)) return chunk;
                chunk.forEach(tick => failed.add(tickKey(tick)));
                return [];
            }
        });
        return retries.flat();
    };
    const gaveUp = await retryUntilDeadline(ticks, deadline, attempt);
    gaveUp.forEach(tick => failed.add(tickKey(tick)));
    return failed;
}
