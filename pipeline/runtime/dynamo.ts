/** The DynamoDB adapter: writes ticks with BatchWriteItem, exact prices, retries within the deadline. */
import { BatchWriteCommand, DynamoDBDocumentClient, NumberValue, PutCommand } from "@aws-sdk/lib-dynamodb";
import { TTL_ATTRIBUTE } from "../schema";
import type { StoredTick } from "./tick";
import { tickKey } from "./batch";
import { isTransient, mapConcurrent, Outcome, TimeLimit, writeAll } from "./retry";

/** BatchWriteItem's limit. */
const ITEMS_PER_REQUEST = 25;
/** Batch writes in flight at once (a batch of 10,000 ticks is 400 requests). */
const PARALLEL_REQUESTS = 16;

/** A tick as its item is written: with `expiresAt` (epoch seconds) when the stack sets a TTL. */
export type TickItem = StoredTick & { expiresAt?: number };

function toItem(tick: TickItem) {
    // NumberValue keeps the exact decimal text; a JS number would round it to a double.
    const item = { symbol: tick.symbol, timestamp: tick.timestamp, price: NumberValue.from(tick.price), day: tick.day };
    return tick.expiresAt === undefined ? item : { ...item, [TTL_ATTRIBUTE]: tick.expiresAt };
}

function chunks<T>(items: T[], size: number): T[][] {
    return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

type UnprocessedItems = Record<string, { PutRequest?: { Item?: Record<string, unknown> } }[]>;

/**
 * The ticks of a request to send again: those DynamoDB returned unprocessed, under whatever key it
 * returned them (the table's name or its ARN). Our own copies are resent: the returned ones went
 * through unmarshalling. An entry that matches no tick sent is not understood, and counting the
 * chunk as written would lose data silently: the whole chunk is sent again (writes are idempotent).
 */
export function unprocessedTicks(chunk: TickItem[], unprocessed: UnprocessedItems | undefined): TickItem[] {
    const sent = new Set(chunk.map(tickKey));
    const returned = new Set<string>();
    for (const request of Object.values(unprocessed ?? {}).flat()) {
        const item = request.PutRequest?.Item;
        const key =
            typeof item?.symbol === "string" && typeof item?.timestamp === "string"
                ? tickKey(item as unknown as TickItem)
                : undefined;
        if (key === undefined || !sent.has(key)) return chunk;
        returned.add(key);
    }
    return chunk.filter(tick => returned.has(tickKey(tick)));
}

/**
 * A request refused for good (e.g. a ValidationException) would fail all 25 ticks of its chunk on
 * every redelivery: put them one by one instead, so that only the culprit fails. None starts after
 * the deadline (the failed request may have taken long): those are left for the redelivery.
 */
async function putOneByOne(
    client: DynamoDBDocumentClient,
    tableName: string,
    ticks: TickItem[],
    limit: TimeLimit,
    onError: (error: unknown) => void,
): Promise<Outcome<TickItem>> {
    const outcome: Outcome<TickItem> = { retry: [], failed: [] };
    const put = async (tick: TickItem) => {
        try {
            await client.send(new PutCommand({ TableName: tableName, Item: toItem(tick) }), {
                abortSignal: limit.signal,
            });
        } catch (error) {
            onError(error);
            (isTransient(error) ? outcome.retry : outcome.failed).push(tick);
        }
    };
    await mapConcurrent(ticks, ticks.length, limit.deadline, put, tick => void outcome.retry.push(tick));
    return outcome;
}

/**
 * Writes every tick (keys must be unique), 25 per request, requests in parallel; retries
 * `UnprocessedItems` and transient errors with backoff until the deadline; the limit's signal
 * aborts the requests in flight.
 * The client must unmarshal with `wrapNumbers` (unprocessed items come back unmarshalled).
 * Returns the keys (see `tickKey`) of the ticks that could not be written.
 */
export async function writeTicks(
    client: DynamoDBDocumentClient,
    tableName: string,
    ticks: TickItem[],
    limit: TimeLimit,
    onError: (error: unknown) => void,
): Promise<Set<string>> {
    const failed = await writeAll({
        items: ticks,
        deadline: limit.deadline,
        concurrency: PARALLEL_REQUESTS,
        group: pending => chunks(pending, ITEMS_PER_REQUEST),
        onError,
        send: async chunk => {
            try {
                const { UnprocessedItems } = await client.send(
                    new BatchWriteCommand({
                        RequestItems: { [tableName]: chunk.map(tick => ({ PutRequest: { Item: toItem(tick) } })) },
                    }),
                    { abortSignal: limit.signal },
                );
                return { retry: unprocessedTicks(chunk, UnprocessedItems), failed: [] };
            } catch (error) {
                if (isTransient(error) || chunk.length === 1) throw error;
                onError(error);
                return putOneByOne(client, tableName, chunk, limit, onError);
            }
        },
    });
    return new Set(failed.map(tickKey));
}
