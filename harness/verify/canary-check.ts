/**
 * The end-to-end check of a stack: canary ticks put on the stream (one per shard, through each
 * shard's hash key range, so every shard's share of the event source mapping is exercised),
 * polled for until each has its item, its raw/ and its processed/ object, timed, then cleaned up.
 */
import { setTimeout as sleep } from "timers/promises";
import { KinesisClient, ListShardsCommand, PutRecordsCommand } from "@aws-sdk/client-kinesis";
import type { StreamTarget } from "../aws/kinesis";
import { UserError } from "../cli/cli";
import { Canary, makeCanaries } from "./canary";
import { CanaryStore, ObjectHit, PutCanary } from "./store";

export type Piece = "item" | "raw/" | "processed/";
export const PIECES: Piece[] = ["item", "raw/", "processed/"];

export interface VerifyOptions {
    kinesis: KinesisClient;
    stream: StreamTarget;
    /** Makes the store checker once the canaries' sequence numbers are known. */
    store: (ours: Set<string>) => CanaryStore;
    /**
     * Throws when the table or the bucket cannot be read: called before any canary is put, so
     * that a wrong name leaves nothing on the stream.
     */
    checkStore(): Promise<void>;
    runId: string;
    /** Canaries to put (default: one per open shard, at least 3). */
    count?: number;
    timeoutMs: number;
    pollMs?: number;
    keep?: boolean;
    log(line: string): void;
}

/** What became of one canary. */
export interface CanaryResult {
    canary: PutCanary;
    /** Ms from the put's answer to when each piece was first seen; absent when never seen. */
    seenAfterMs: Partial<Record<Piece, number>>;
    objects: Partial<Record<"raw/" | "processed/", ObjectHit>>;
}

export interface VerifyResult {
    canaries: CanaryResult[];
    /** Per canary, the pieces still missing at the end. */
    missing: { canary: PutCanary; pieces: Piece[] }[];
    /** End-to-end latency of the complete canaries (ms): put answered → last piece seen. */
    latenciesMs: number[];
    cleanup: { items: number; objects: number; leftBehind: string[] };
    ok: boolean;
}

/** Each open shard's starting hash key: a record put with it lands on that shard. */
async function shardHashKeys(kinesis: KinesisClient, stream: StreamTarget): Promise<string[]> {
    const keys: string[] = [];
    let nextToken: string | undefined;
    do {
        const page = await kinesis.send(new ListShardsCommand(nextToken ? { NextToken: nextToken } : { ...stream }));
        for (const shard of page.Shards ?? [])
            if (!shard.SequenceNumberRange?.EndingSequenceNumber) keys.push(shard.HashKeyRange!.StartingHashKey!);
        nextToken = page.NextToken;
    } while (nextToken);
    return keys;
}

async function putCanaries(
    kinesis: KinesisClient,
    stream: StreamTarget,
    canaries: Canary[],
    hashKeys: string[],
): Promise<PutCanary[]> {
    const sentAt = Date.now();
    const { Records = [], FailedRecordCount } = await kinesis.send(
        new PutRecordsCommand({
            ...stream,
            Records: canaries.map((canary, i) => ({
                Data: canary.data,
                PartitionKey: canary.tick.symbol,
                ExplicitHashKey: hashKeys[i % hashKeys.length],
            })),
        }),
    );
    const answeredAt = Date.now();
    if (FailedRecordCount) {
        const refused = Records.find(record => record.ErrorCode);
        throw new UserError(
            `the stream refused ${FailedRecordCount} canaries: ${refused?.ErrorCode}: ${refused?.ErrorMessage}`,
        );
    }
    return canaries.map((canary, i) => ({
        ...canary,
        sequenceNumber: Records[i].SequenceNumber!,
        shardId: Records[i].ShardId!,
        sentAt,
        answeredAt,
    }));
}

/** Looks for the pieces not seen yet; records when each is first seen. */
async function poll(store: CanaryStore, results: CanaryResult[]): Promise<void> {
    await Promise.all(
        results.map(async result => {
            const { canary, seenAfterMs, objects } = result;
            const seen = () => Date.now() - canary.answeredAt;
            if (seenAfterMs.item === undefined && (await store.hasItem(canary))) seenAfterMs.item = seen();
            if (seenAfterMs["raw/"] === undefined) {
                const hit = await store.findRaw(canary);
                if (hit) [seenAfterMs["raw/"], objects["raw/"]] = [seen(), hit];
            }
            if (seenAfterMs["processed/"] === undefined) {
                const hit = await store.findProcessed(canary);
                if (hit) [seenAfterMs["processed/"], objects["processed/"]] = [seen(), hit];
            }
        }),
    );
}

const missingOf = (result: CanaryResult) => PIECES.filter(piece => result.seenAfterMs[piece] === undefined);

/** Deletes what each canary left: its item, and its objects unless they hold other records' lines. */
async function cleanUp(store: CanaryStore, results: CanaryResult[]): Promise<VerifyResult["cleanup"]> {
    const cleanup = { items: 0, objects: 0, leftBehind: [] as string[] };
    const deleted = new Set<string>();
    for (const { canary, seenAfterMs, objects } of results) {
        if (seenAfterMs.item !== undefined) {
            await store.deleteItem(canary);
            cleanup.items++;
        }
        for (const hit of Object.values(objects)) {
            if (!hit || deleted.has(hit.key)) continue;
            if (!hit.onlyCanaries) {
                if (!cleanup.leftBehind.includes(hit.key)) cleanup.leftBehind.push(hit.key);
                continue;
            }
            await store.deleteObject(hit.key);
            deleted.add(hit.key);
            cleanup.objects++;
        }
    }
    return cleanup;
}

export async function verifyStack(options: VerifyOptions): Promise<VerifyResult> {
    const { kinesis, stream, log } = options;
    const hashKeys = await shardHashKeys(kinesis, stream);
    if (hashKeys.length === 0) throw new UserError("the stream has no open shard");
    await options.checkStore();
    const count = options.count ?? Math.min(500, Math.max(3, hashKeys.length));
    const canaries = await putCanaries(kinesis, stream, makeCanaries(options.runId, count), hashKeys);
    log(
        `put ${canaries.length} canary ticks (symbol ${canaries[0].tick.symbol}) on ${new Set(canaries.map(c => c.shardId)).size} shards; ` +
            `waiting up to ${options.timeoutMs / 1000} s for their item, raw/ and processed/ objects`,
    );
    const store = options.store(new Set(canaries.map(canary => canary.sequenceNumber)));
    const results: CanaryResult[] = canaries.map(canary => ({ canary, seenAfterMs: {}, objects: {} }));
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
        await poll(store, results);
        if (results.every(result => missingOf(result).length === 0) || Date.now() >= deadline) break;
        await sleep(Math.min(options.pollMs ?? 500, Math.max(0, deadline - Date.now())));
    }
    const missing = results
        .map(result => ({ canary: result.canary, pieces: missingOf(result) }))
        .filter(entry => entry.pieces.length > 0);
    const latenciesMs = results
        .filter(result => missingOf(result).length === 0)
        .map(result => Math.max(...PIECES.map(piece => result.seenAfterMs[piece]!)));
    const cleanup = options.keep ? { items: 0, objects: 0, leftBehind: [] } : await cleanUp(store, results);
    return { canaries: results, missing, latenciesMs, cleanup, ok: missing.length === 0 };
}
