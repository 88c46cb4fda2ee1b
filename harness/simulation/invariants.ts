/** The invariants the simulation checks, by name, and what it counts besides. */

export const INVARIANTS = {
    stored: "every valid record has its item (exact price) and its raw and processed copies",
    quarantined: "every invalid record has its raw and rejected copies, and no item or processed copy",
    keptLines: "no object ever loses a line it held (every PUT keeps the record ids of the body it replaces)",
    identicalCopies: "a record's copies are identical wherever they are, and as the contract writes them",
    objectKeys: "object keys and lines name the record's shard, range and partitions, lines in stream order",
    latestWins: "an item holds the latest record of its key on its shard (the documented limit aside)",
    responses: "a response is {batchItemFailures} and names only records of its batch",
    acknowledged: "once acknowledged (checkpointed past or replayed), nothing is unstored",
    drained: "after the replays the failure destination is empty and nothing is missing",
    wellFormed: "no request is refused for its form (duplicate keys, over 25 items, a bad number)",
} as const;

export type Invariant = keyof typeof INVARIANTS;
export const INVARIANT_NAMES = Object.keys(INVARIANTS) as Invariant[];

export interface Violation {
    invariant: Invariant;
    message: string;
    /** Simulated milliseconds since the schedule started. */
    atMs: number;
}

/** Counters a schedule keeps; runs add them up. */
export function emptyCheckStats() {
    return {
        records: 0,
        invocations: 0,
        replayInvocations: 0,
        requests: 0,
        faults: {} as Record<string, number>,
        crashes: 0,
        timeouts: 0,
        handlerErrors: 0,
        bisections: 0,
        retries: { same: 0, fewer: 0, more: 0 },
        lostCheckpoints: 0,
        givenUp: { RetryAttemptsExhausted: 0, RecordAgeExceeded: 0 },
        replays: 0,
        /** The documented limit: items left holding an older record, rewritten after a newer one, by what rewrote it. */
        limit: { replay: 0, redelivery: 0 },
        checks: Object.fromEntries(Object.keys(INVARIANTS).map(name => [name, 0])) as Record<Invariant, number>,
    };
}

export type Stats = ReturnType<typeof emptyCheckStats>;

/** Adds `from` into `into`, key by key (numbers, and nested records of numbers). */
export function addStats(into: Stats, from: Stats): void {
    const add = (a: Record<string, unknown>, b: Record<string, unknown>) => {
        for (const [key, value] of Object.entries(b)) {
            if (typeof value === "number") a[key] = ((a[key] as number) ?? 0) + value;
            else add((a[key] ??= {}) as Record<string, unknown>, value as Record<string, unknown>);
        }
    };
    add(into as unknown as Record<string, unknown>, from as unknown as Record<string, unknown>);
}
