/**
 * Retrying transient failures within the invocation's remaining time, and running many requests
 * at once without more in flight than the connection pool holds.
 */

/** Throttling, 5xx and network errors are worth another try; a 4xx like AccessDenied is not. */
export function isTransient(error: unknown): boolean {
    const err = error as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
    if (err?.$retryable) return true;
    const status = err?.$metadata?.httpStatusCode;
    if (status === undefined) return true; // no HTTP answer at all: reset, timeout, DNS
    if (status >= 500 || status === 429) return true;
    return /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|SlowDown|RequestTimeout/.test(`${err.name} ${err.code}`);
}

/** Full-jitter exponential backoff (AWS Architecture Blog), in ms, for the n-th retry (0-based). */
export function backoffMs(retry: number, baseMs = 50, capMs = 2000): number {
    return Math.random() * Math.min(capMs, baseMs * 2 ** retry);
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

/**
 * Runs `attempt` on the pending items until none is left, the remaining ones failed for good,
 * or the deadline (epoch ms) leaves no time for another backoff. `attempt` returns the items that
 * must be tried again (transient failures); it records permanent failures itself.
 * Returns the items still pending at the end.
 */
export async function retryUntilDeadline<T>(items: T[], deadline: number, attempt: (pending: T[]) => Promise<T[]>): Promise<T[]> {
    let pending = items;
    for (let retry = 0; pending.length > 0; retry++) {
        pending = await attempt(pending);
        if (pending.length === 0) break;
        const wait = backoffMs(retry);
        if (Date.now() + wait >= deadline) break;
        await sleep(wait);
    }
    return pending;
}

/** Maps with at most `limit` calls in flight. */
export async function mapConcurrent<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
    const results = new Array<R>(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const index = next++;
            results[index] = await fn(items[index]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}
