/**
 * Writing many items with retries of transient failures, within the invocation's remaining time,
 * with no more requests in flight than the connection pool holds.
 */

/** Network failures with no HTTP answer: worth another try. */
const NETWORK_ERRORS =
    /^(ECONNRESET|ECONNREFUSED|ECONNABORTED|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH)$/;
/**
 * Error names of throttling and timeouts, whatever the status. AbortError is a request the
 * invocation's time ran out on (see `TimeLimit.signal`): worth another try, by the redelivery.
 */
const TRANSIENT_NAMES =
    /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|SlowDown|RequestTimeout|TimeoutError|InternalServerError|ServiceUnavailable|^AbortError$/;

/** Throttling, 5xx and network errors are worth another try; a 4xx like AccessDenied, or a bug, is not. */
export function isTransient(error: unknown): boolean {
    const err = error as {
        name?: string;
        code?: string;
        $retryable?: unknown;
        $metadata?: { httpStatusCode?: number };
    };
    if (err?.$retryable) return true;
    const status = err?.$metadata?.httpStatusCode;
    if (status !== undefined && (status >= 500 || status === 429)) return true;
    return NETWORK_ERRORS.test(err?.code ?? "") || TRANSIENT_NAMES.test(err?.name ?? "");
}

/** Full-jitter exponential backoff (AWS Architecture Blog), in ms, for the n-th retry (0-based). */
export function backoffMs(retry: number, baseMs = 50, capMs = 2000): number {
    return Math.random() * Math.min(capMs, baseMs * 2 ** retry);
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Maps with at most `limit` calls in flight, starting none at or after `deadline` (epoch ms):
 * the items not started get `notStarted` as their result.
 */
export async function mapConcurrent<T, R>(
    items: T[],
    limit: number,
    deadline: number,
    fn: (item: T) => Promise<R>,
    notStarted: (item: T) => R,
): Promise<R[]> {
    const results = new Array<R>(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const index = next++;
            results[index] = Date.now() < deadline ? await fn(items[index]) : notStarted(items[index]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

/** How long an invocation's writes may go on. */
export interface TimeLimit {
    /** Epoch ms after which no request is started and no retry waited for. */
    deadline: number;
    /** Aborts the requests still in flight once the invocation must answer (given to every `send`). */
    signal?: AbortSignal;
}

/** What one request did with its items: those to try again, and those that failed for good. */
export interface Outcome<T> {
    retry: T[];
    failed: T[];
}

export interface WriteAllOptions<T> {
    items: T[];
    /** Epoch ms after which no request is started and no retry waited for. */
    deadline: number;
    /** Requests in flight at once. */
    concurrency: number;
    /** How pending items are split into requests (one item each by default). */
    group?: (items: T[]) => T[][];
    /** Sends one request; may report items as unprocessed (retry) or failed itself. */
    send: (group: T[]) => Promise<Outcome<T> | void>;
    /** Told of every error a request ended with (for the invocation's log line). */
    onError: (error: unknown) => void;
}

/**
 * Writes every item: a request that throws a transient error is retried whole, a permanent error
 * fails its items; retries back off and stop at the deadline. Returns the items not written.
 */
export async function writeAll<T>(options: WriteAllOptions<T>): Promise<T[]> {
    const { deadline, concurrency, send, onError } = options;
    const group = options.group ?? ((items: T[]) => items.map(item => [item]));
    const failed: T[] = [];
    let pending = options.items;
    for (let retry = 0; pending.length > 0; retry++) {
        const outcomes = await mapConcurrent(
            group(pending),
            concurrency,
            deadline,
            async (items): Promise<Outcome<T>> => {
                try {
                    return (await send(items)) ?? { retry: [], failed: [] };
                } catch (error) {
                    onError(error);
                    return isTransient(error) ? { retry: items, failed: [] } : { retry: [], failed: items };
                }
            },
            items => ({ retry: items, failed: [] }),
        );
        failed.push(...outcomes.flatMap(outcome => outcome.failed));
        pending = outcomes.flatMap(outcome => outcome.retry);
        if (pending.length === 0) break;
        const wait = backoffMs(retry);
        if (Date.now() + wait >= deadline) break;
        await sleep(wait);
    }
    return [...failed, ...pending];
}
