/**
 * Where a canary's item and objects must be, and whether they are: the DynamoDB item with its
 * exact price, and the `raw/` and `processed/` objects in either object layout of the processing
 * contract (one object per record, `…/<sequenceNumber>.json`; or one per batch,
 * `…/shard=<shard>/<first>-<last>.ndjson.gz`, or `<first>.ndjson.gz` before ranges were named, where
 * the canary is a line).
 */
import { gunzipSync } from "zlib";
import { compareSequenceNumbers, RecordPlan } from "../../pipeline/runtime/batch";
import { batchObjectRange, recordObjectKeys } from "../../pipeline/runtime/layouts";
import { PREFIXES } from "../../pipeline/schema";
import { compareDecimals } from "../local-stack/summary";
import type { Canary } from "./canary";

/** A canary once the stream accepted it. */
export interface PutCanary extends Canary {
    sequenceNumber: string;
    shardId: string;
    /** Epoch ms: PutRecords sent, and answered (the record reached the stream in between). */
    sentAt: number;
    answeredAt: number;
}

/** The object storage the checks need (S3, or a stand-in in unit tests). */
export interface CanaryObjects {
    /** The object's bytes, or undefined when there is no such key. */
    get(key: string): Promise<Buffer | undefined>;
    /** Keys after `marker` under `prefix`, in order, one page. */
    list(prefix: string, marker: string | undefined): Promise<{ keys: string[]; truncated: boolean }>;
    delete(key: string): Promise<void>;
}

/** The table the checks need (DynamoDB, or a stand-in). */
export interface CanaryItems {
    /** The item's price as its exact decimal text, or undefined when there is no item. */
    price(symbol: string, timestamp: string): Promise<string | undefined>;
    delete(symbol: string, timestamp: string): Promise<void>;
}

export type Layout = "record" | "batch";

/** An object holding the canary. */
export interface ObjectHit {
    key: string;
    layout: Layout;
    /** Batch layout: true when every line of the object is one of this run's canaries (so it may be deleted). */
    onlyCanaries: boolean;
}

const DAY_MS = 86_400_000;
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The record as the processor plans it, for the contract's own key functions. */
function asPlan(canary: PutCanary, arrivalMs: number): RecordPlan {
    return {
        sequenceNumber: canary.sequenceNumber,
        partitionKey: canary.tick.symbol,
        shardId: canary.shardId,
        approximateArrivalTimestamp: arrivalMs / 1000,
        data: canary.data,
        tick: canary.tick,
    };
}

/** UTC days the record may have reached the stream on: between sending and the answer. */
function arrivalDays(canary: PutCanary): number[] {
    return utcDay(canary.sentAt) === utcDay(canary.answeredAt) ? [canary.sentAt] : [canary.sentAt, canary.answeredAt];
}

export class CanaryStore {
    constructor(
        private readonly objects: CanaryObjects,
        private readonly items: CanaryItems,
        /** The sequence numbers of this run's canaries: lines of a batch object that are ours. */
        private readonly ours: Set<string>,
    ) {}

    async hasItem(canary: PutCanary): Promise<boolean> {
        const price = await this.items.price(canary.tick.symbol, canary.tick.timestamp);
        return price !== undefined && compareDecimals(price, canary.tick.price) === 0;
    }

    async findRaw(canary: PutCanary): Promise<ObjectHit | undefined> {
        for (const arrival of arrivalDays(canary)) {
            const key = recordObjectKeys(asPlan(canary, arrival)).raw;
            const body = await this.objects.get(key);
            if (body && body.equals(canary.data)) return { key, layout: "record", onlyCanaries: true };
        }
        // A batch's raw object is filed under the day its first record arrived: maybe the day before.
        const days = new Set([...arrivalDays(canary), canary.sentAt - DAY_MS].map(utcDay));
        for (const day of days) {
            const hit = await this.findLine(
                `${PREFIXES.raw}arrival_day=${day}/shard=${canary.shardId}/`,
                canary,
                line => Buffer.from(String(line.data), "base64").equals(canary.data),
            );
            if (hit) return hit;
        }
        return undefined;
    }

    async findProcessed(canary: PutCanary): Promise<ObjectHit | undefined> {
        const key = recordObjectKeys(asPlan(canary, canary.sentAt)).processed!;
        const body = await this.objects.get(key);
        if (body && this.isOurTick(JSON.parse(body.toString("utf8")), canary))
            return { key, layout: "record", onlyCanaries: true };
        const prefix = `${PREFIXES.processed}day=${canary.tick.day}/shard=${canary.shardId}/`;
        return this.findLine(prefix, canary, line => this.isOurTick(line, canary));
    }

    /** Deletes the canary's item. */
    async deleteItem(canary: PutCanary): Promise<void> {
        await this.items.delete(canary.tick.symbol, canary.tick.timestamp);
    }

    async deleteObject(key: string): Promise<void> {
        await this.objects.delete(key);
    }

    private isOurTick(value: Record<string, unknown>, canary: PutCanary): boolean {
        return (
            value.symbol === canary.tick.symbol &&
            value.timestamp === canary.tick.timestamp &&
            compareDecimals(String(value.price), canary.tick.price) === 0
        );
    }

    /**
     * The batch object under `prefix` that holds the canary's line: the one whose first sequence
     * number is the greatest not above the canary's, or one of the few before it.
     */
    private async findLine(
        prefix: string,
        canary: PutCanary,
        matches: (line: Record<string, unknown>) => boolean,
    ): Promise<ObjectHit | undefined> {
        for (const key of await candidateBatchKeys(this.objects, prefix, canary.sequenceNumber)) {
            const body = await this.objects.get(key);
            if (!body) continue;
            const lines = gunzipSync(body)
                .toString("utf8")
                .split("\n")
                .filter(line => line.trim() !== "")
                .map(line => JSON.parse(line) as Record<string, unknown>);
            const ours = lines.find(line => line.sequenceNumber === canary.sequenceNumber && matches(line));
            if (ours) {
                const onlyCanaries = lines.every(line => this.ours.has(String(line.sequenceNumber)));
                return { key, layout: "batch", onlyCanaries };
            }
        }
        return undefined;
    }
}

/**
 * Keys of batch objects that may hold `sequenceNumber`, nearest first: those whose range holds it
 * (an old `<first>` key, whose last record is unknown, when its first is at most it). A shard's keys sort by sequence number, so the listing starts just below
 * it (the sequence number with its last digits cut) and widens only when nothing is found there,
 * instead of listing a busy shard's whole day.
 */
export async function candidateBatchKeys(
    objects: Pick<CanaryObjects, "list">,
    prefix: string,
    sequenceNumber: string,
    nearest = 3,
): Promise<string[]> {
    for (const cut of [4, 8, 16, 24, 32, sequenceNumber.length]) {
        const marker = cut >= sequenceNumber.length ? undefined : prefix + sequenceNumber.slice(0, -cut);
        const below: string[] = [];
        let next = marker;
        for (let page = 0; page < 10; page++) {
            const { keys, truncated } = await objects.list(prefix, next);
            let passed = false;
            for (const key of keys) {
                const range = batchObjectRange(key.slice(prefix.length));
                if (range === undefined) continue;
                if (compareSequenceNumbers(range.first, sequenceNumber) > 0) passed = true;
                else if (range.last === undefined || compareSequenceNumbers(range.last, sequenceNumber) >= 0)
                    below.push(key);
            }
            if (passed || !truncated || keys.length === 0) break;
            next = keys[keys.length - 1];
        }
        if (below.length > 0) return below.slice(-nearest).reverse();
    }
    return [];
}
