/**
 * The simulated services and what they hold: an in-memory DynamoDB table and S3 bucket behind
 * stand-ins for the handler's clients (objects with `send(command, options)` that read
 * `command.input`), with the services' semantics and the faults a seed decides, and the checks
 * made as every write lands.
 *
 * DynamoDB: BatchWriteItem (at most 25 puts, no duplicate keys in one request, a valid Number,
 * else a ValidationException; `UnprocessedItems` in the unmarshalled form a DocumentClient with
 * `wrapNumbers` returns) and PutItem. S3: PutObject, overwriting. Each invocation gets its own
 * stand-ins, so a crashed or timed-out invocation's later requests never land.
 */
import { gunzipSync } from "zlib";
import { BatchWriteCommand, NumberValue, PutCommand } from "@aws-sdk/lib-dynamodb";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { parse } from "lossless-json";
import { REQUEST_TIMEOUT_MS } from "../../pipeline/runtime/handler";
import type { Choices } from "./choices";
import { emptyCheckStats, Invariant, Stats, Violation } from "./invariants";
import { canonicalDecimal, compareOrder, ExpectedRecord, expectedItemKey, Stream, StreamRecord } from "./stream";

export const SIMULATED_TABLE = "StockMarketData";
export const SIMULATED_BUCKET = "stock-market-data-sim";
/** The handler's SDK clients give up on a request unanswered this long (requestTimeout, throwOnRequestTimeout). */
const SDK_REQUEST_TIMEOUT_MS = REQUEST_TIMEOUT_MS;
const ITEMS_PER_BATCH_WRITE = 25;

export type ObjectLayout = "record" | "batch";
type CopyKind = "raw" | "processed" | "rejected";

export type FaultKind = "error" | "throttle" | "denied" | "reset" | "reset-after-write" | "unprocessed" | "slow";

/** What the seed decides about the services for a whole schedule. */
export interface ServiceSettings {
    /** Share of requests that get a fault while the outage lasts. */
    faultRate: number;
    /** Share of invocations that crash after some number of completed writes. */
    crashRate: number;
    /** Faults and crashes stop this long (simulated ms) after the start: the outage ends. */
    outageMs: number;
    /** Answers take 1 to 20 ms (timers, so concurrent requests interleave), else they come at once. */
    latency: boolean;
}

/** A request a stand-in holds (a slow answer): what to do if its invocation dies first. */
interface InFlight {
    /** Lands its write if the service got it before the sandbox died. */
    landOnDeath?: () => void;
}

/** One invocation of the handler: its records, and its fate. */
export interface Invocation {
    id: number;
    /** Who invoked: the event source mapping, or `npm run replay`. */
    kind: "mapping" | "replay";
    /** The records as processed (user records of aggregates unpacked). */
    expected: ExpectedRecord[];
    /** The latest record of each item key in the batch: the one whose item it may write. */
    latestByKey: Map<string, ExpectedRecord>;
    /** Crash once this many writes have landed (0: before the handler runs); undefined: no crash. */
    crashAfter?: number;
    landed: number;
    dead: boolean;
    died: Promise<string>;
    kill(cause: string): void;
    inFlight: Set<InFlight>;
    dynamo: { send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> };
    s3: { send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown> };
}

interface StoredObject {
    lines: Map<string, string>;
}

interface ItemWrite {
    record: ExpectedRecord | undefined;
    invocation: Invocation;
}

const hang = () => new Promise<never>(() => undefined);
const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

function serviceError(name: string, status: number | undefined, message: string, code?: string): Error {
    const error = new Error(message) as Error & Record<string, unknown>;
    error.name = name;
    if (status !== undefined) {
        error.$metadata = { httpStatusCode: status };
        error.$fault = status >= 500 ? "server" : "client";
    }
    if (code) error.code = code;
    return error;
}

const ERRORS: Record<"dynamodb" | "s3", Record<"error" | "throttle" | "denied", () => Error>> = {
    dynamodb: {
        error: () => serviceError("InternalServerError", 500, "Internal server error"),
        throttle: () =>
            serviceError(
                "ProvisionedThroughputExceededException",
                400,
                "The level of configured provisioned throughput for the table was exceeded",
            ),
        denied: () =>
            serviceError("AccessDeniedException", 400, "User is not authorized to perform: dynamodb:BatchWriteItem"),
    },
    s3: {
        error: () => serviceError("InternalError", 500, "We encountered an internal error. Please try again."),
        throttle: () => serviceError("SlowDown", 503, "Please reduce your request rate."),
        denied: () => serviceError("AccessDenied", 403, "Access Denied"),
    },
};
const reset = () => serviceError("Error", undefined, "socket hang up", "ECONNRESET");
const aborted = () => serviceError("AbortError", undefined, "Request aborted");
const timedOut = () =>
    serviceError("TimeoutError", undefined, `Connection timed out after ${SDK_REQUEST_TIMEOUT_MS} ms`);
const validation = (message: string) => serviceError("ValidationException", 400, message);

/** The UTC day of an arrival time in epoch seconds. */
function utcDay(epochSeconds: number): string {
    return new Date(epochSeconds * 1000).toISOString().slice(0, 10);
}

function parseLine(text: string): Record<string, unknown> | undefined {
    try {
        const value = parse(text, null, number => ({ number }));
        return typeof value === "object" && value !== null && !Array.isArray(value)
            ? (value as Record<string, unknown>)
            : undefined;
    } catch {
        return undefined;
    }
}

/** A JSON number's text, as parseLine keeps it; undefined for anything else. */
function numberText(value: unknown): string | undefined {
    return typeof value === "object" && value !== null && "number" in value
        ? String((value as { number: string }).number)
        : undefined;
}

export class World {
    readonly stats: Stats = emptyCheckStats();
    readonly violations: Violation[] = [];
    /** Faults and crashes are off (the outage is over, or the final replay runs). */
    calm = false;
    readonly items = new Map<string, ItemWrite>();
    private readonly itemWrites = new Map<string, ItemWrite[]>();
    private readonly objects = new Map<string, StoredObject>();
    private readonly holders: Record<CopyKind, Map<string, Set<string>>> = {
        raw: new Map(),
        processed: new Map(),
        rejected: new Map(),
    };
    private readonly firstLines: Record<CopyKind, Map<string, string>> = {
        raw: new Map(),
        processed: new Map(),
        rejected: new Map(),
    };
    private readonly byId = new Map<string, ExpectedRecord>();
    private readonly unzipped = new Map<string, string | undefined>();
    private invocations = 0;
    private readonly startedAt = Date.now();

    constructor(
        private readonly choices: Choices,
        private readonly stream: Stream,
        private readonly layout: ObjectLayout,
        private readonly settings: ServiceSettings,
        private readonly log?: (line: string) => void,
    ) {
        for (const record of stream.all) this.byId.set(record.id, record);
        this.stats.records = stream.all.length;
    }

    /** Simulated ms since the start. */
    now(): number {
        return Date.now() - this.startedAt;
    }

    /** Adds a line to the trace, if one is kept (the line is only built then). */
    trace(line: () => string): void {
        this.log?.(`${(this.now() / 1000).toFixed(3).padStart(8)}s  ${line()}`);
    }

    violate(invariant: Invariant, message: string): void {
        this.violations.push({ invariant, message, atMs: this.now() });
        this.trace(() => `VIOLATION ${invariant}: ${message}`);
    }

    private check(invariant: Invariant): void {
        this.stats.checks[invariant]++;
    }

    private outage(): boolean {
        return !this.calm && this.now() < this.settings.outageMs;
    }

    /** A new invocation of `records`, with its fate drawn: a crash after some completed writes, or none. */
    startInvocation(kind: Invocation["kind"], records: StreamRecord[]): Invocation {
        const expected = records.flatMap(record => record.expected);
        const latestByKey = new Map<string, ExpectedRecord>();
        for (const record of expected) {
            if (!record.tick) continue;
            const key = expectedItemKey(record.tick.symbol, record.tick.timestamp);
            const current = latestByKey.get(key);
            if (!current || compareOrder(record, current) > 0) latestByKey.set(key, record);
        }
        const crashes = this.outage() && this.choices.flip(this.settings.crashRate);
        let resolveDied: (cause: string) => void = () => undefined;
        const invocation: Invocation = {
            id: ++this.invocations,
            kind,
            expected,
            latestByKey,
            crashAfter: crashes ? this.choices.int(2 * expected.length + 3) : undefined,
            landed: 0,
            dead: false,
            died: new Promise(resolve => (resolveDied = resolve)),
            kill: cause => this.kill(invocation, cause, resolveDied),
            inFlight: new Set(),
            dynamo: { send: (command, options) => this.dynamo(invocation, command, options?.abortSignal) },
            s3: { send: (command, options) => this.s3(invocation, command, options?.abortSignal) },
        };
        return invocation;
    }

    /** The sandbox dies (a crash, a timeout): writes in flight land or not, later ones never. */
    private kill(invocation: Invocation, cause: string, died: (cause: string) => void): void {
        if (invocation.dead) return;
        invocation.dead = true;
        for (const request of invocation.inFlight) {
            if (request.landOnDeath && this.choices.flip(0.5)) {
                this.trace(() => `  inv#${invocation.id}: a write in flight lands as the sandbox dies`);
                request.landOnDeath();
            }
        }
        invocation.inFlight.clear();
        died(cause);
    }

    /** Counts a landed write, and crashes the invocation if that was its last. */
    private landed(invocation: Invocation): void {
        invocation.landed++;
        if (invocation.crashAfter !== undefined && invocation.landed >= invocation.crashAfter) {
            this.stats.crashes++;
            this.trace(() => `  inv#${invocation.id}: crashes after ${invocation.landed} completed writes`);
            invocation.kill(`crashed after ${invocation.landed} completed writes`);
        }
    }

    private drawFault(service: "dynamodb" | "s3", batchWrite: boolean): FaultKind | undefined {
        if (!this.outage() || !this.choices.flip(this.settings.faultRate)) return undefined;
        const kind = this.choices.weighted<FaultKind>([
            ["error", 3],
            ["throttle", 3],
            ["reset", 1],
            ["reset-after-write", 1.5],
            ["slow", 1.5],
            ["denied", 0.3],
            ["unprocessed", batchWrite ? 3 : 0],
        ]);
        const name = `${service}:${kind}`;
        this.stats.faults[name] = (this.stats.faults[name] ?? 0) + 1;
        return kind;
    }

    /**
     * Runs one request through the fault the seed draws: `apply` lands the write (all of it, or,
     * given the unprocessed subset, the rest) and returns the answer.
     */
    private async request<R>(
        invocation: Invocation,
        service: "dynamodb" | "s3",
        what: string,
        apply: (unprocessed?: boolean[]) => R,
        signal: AbortSignal | undefined,
        batchSize = 0,
    ): Promise<R> {
        this.stats.requests++;
        const fault = this.drawFault(service, batchSize > 0);
        if (fault && fault !== "slow") this.trace(() => `  inv#${invocation.id}: ${what}: ${fault}`);
        if (fault === "slow") return this.slow(invocation, what, apply, signal);
        if (this.settings.latency) await sleep(this.choices.between(1, 20));
        if (invocation.dead) return hang();
        if (signal?.aborted) throw aborted();
        switch (fault) {
            case undefined:
            case "reset-after-write":
            case "unprocessed": {
                const unprocessed =
                    fault === "unprocessed"
                        ? Array.from({ length: batchSize }, () => this.choices.flip(0.5))
                        : undefined;
                if (unprocessed && !unprocessed.includes(true)) unprocessed[batchSize - 1] = true;
                const answer = apply(unprocessed);
                this.landed(invocation);
                if (invocation.dead) return hang();
                if (fault === "reset-after-write") throw reset();
                return answer;
            }
            case "reset":
                throw reset();
            default:
                throw ERRORS[service][fault]();
        }
    }

    /**
     * A slow answer: the write lands at once (the answer is what is late), when the answer comes,
     * or never (stuck before the service); the client gives up after its request timeout, and
     * the handler's abort signal ends it sooner.
     */
    private slow<R>(invocation: Invocation, what: string, apply: () => R, signal: AbortSignal | undefined): Promise<R> {
        const lands = this.choices.pick(["first", "on-answer", "never"] as const);
        // A request that never reached the service gets no answer at all.
        const delay = lands === "never" ? Infinity : this.choices.pick([300, 2000, 4500, 8000, Infinity]);
        this.trace(() => `  inv#${invocation.id}: ${what}: answer after ${delay} ms, write lands ${lands}`);
        let answer: R | undefined;
        if (lands === "first") {
            answer = apply();
            this.landed(invocation);
            if (invocation.dead) return hang();
        }
        return new Promise<R>((resolve, reject) => {
            const request: InFlight = {
                landOnDeath: lands === "on-answer" && delay <= SDK_REQUEST_TIMEOUT_MS ? () => apply() : undefined,
            };
            invocation.inFlight.add(request);
            const finish = (settle: () => void) => {
                clearTimeout(timer);
                signal?.removeEventListener("abort", onAbort);
                invocation.inFlight.delete(request);
                settle();
            };
            const onAbort = () => finish(() => reject(aborted()));
            const timer = setTimeout(
                () => {
                    if (invocation.dead) return;
                    if (delay > SDK_REQUEST_TIMEOUT_MS) return finish(() => reject(timedOut()));
                    finish(() => {
                        if (lands === "on-answer") {
                            answer = apply();
                            this.landed(invocation);
                            if (invocation.dead) return;
                        }
                        resolve(answer as R);
                    });
                },
                Math.min(delay, SDK_REQUEST_TIMEOUT_MS),
            );
            if (signal?.aborted) onAbort();
            else signal?.addEventListener("abort", onAbort);
        });
    }

    // ---- DynamoDB

    private async dynamo(invocation: Invocation, command: unknown, signal?: AbortSignal): Promise<unknown> {
        if (invocation.dead) return hang();
        if (command instanceof BatchWriteCommand) {
            const requestItems = command.input.RequestItems ?? {};
            const tables = Object.keys(requestItems);
            if (tables.length !== 1 || tables[0] !== SIMULATED_TABLE) {
                this.violate("wellFormed", `inv#${invocation.id}: BatchWriteItem to tables ${tables.join(", ")}`);
                throw serviceError("ResourceNotFoundException", 400, "Requested resource not found");
            }
            const items = requestItems[SIMULATED_TABLE].map(request => request.PutRequest?.Item);
            const refused = this.refuseItems(items);
            this.check("wellFormed");
            if (refused) {
                this.violate("wellFormed", `inv#${invocation.id}: BatchWriteItem refused: ${refused}`);
                throw validation(refused);
            }
            const what = `BatchWriteItem of ${items.length}`;
            return this.request(
                invocation,
                "dynamodb",
                what,
                unprocessed => {
                    const left: Record<string, unknown>[] = [];
                    items.forEach((item, i) => {
                        if (unprocessed?.[i]) left.push(item!);
                        else this.landItem(invocation, item!);
                    });
                    // As a DocumentClient with wrapNumbers returns them: unmarshalled, numbers as NumberValue.
                    const returned = left.map(item => ({
                        PutRequest: { Item: { ...item, price: NumberValue.from(priceText(item.price)!) } },
                    }));
                    return { UnprocessedItems: returned.length ? { [SIMULATED_TABLE]: returned } : {} };
                },
                signal,
                items.length,
            );
        }
        if (command instanceof PutCommand) {
            const item = command.input.Item;
            const refused = command.input.TableName === SIMULATED_TABLE ? this.refuseItems([item]) : "table not found";
            this.check("wellFormed");
            if (refused) {
                this.violate("wellFormed", `inv#${invocation.id}: PutItem refused: ${refused}`);
                throw validation(refused);
            }
            return this.request(
                invocation,
                "dynamodb",
                "PutItem",
                () => (this.landItem(invocation, item!), {}),
                signal,
            );
        }
        throw new Error(`the simulated DynamoDB does not know ${(command as object)?.constructor?.name}`);
    }

    /** Why DynamoDB would refuse these puts in one request, or undefined. */
    private refuseItems(items: (Record<string, unknown> | undefined)[]): string | undefined {
        if (items.length === 0 || items.length > ITEMS_PER_BATCH_WRITE) return `${items.length} items in one request`;
        const keys = new Set<string>();
        for (const item of items) {
            if (!item || typeof item.symbol !== "string" || typeof item.timestamp !== "string") {
                return "an item without its string key (symbol, timestamp)";
            }
            const price = priceText(item.price);
            if (price !== undefined && !validDynamoNumber(price)) return `price ${price} is not a DynamoDB Number`;
            const key = expectedItemKey(item.symbol, item.timestamp);
            if (keys.has(key)) return "Provided list of item keys contains duplicates";
            keys.add(key);
        }
        return undefined;
    }

    private landItem(invocation: Invocation, item: Record<string, unknown>): void {
        const key = expectedItemKey(item.symbol as string, item.timestamp as string);
        const price = priceText(item.price);
        const record =
            price === undefined ? undefined : this.stream.byItem.get(`${key}\u0000${canonicalDecimal(price)}`);
        this.check("stored");
        if (!record || item.day !== record.tick!.day || typeof item.price === "string") {
            this.violate(
                "stored",
                `inv#${invocation.id} wrote an item that is no record's tick: ${JSON.stringify({ ...item, price })}` +
                    (typeof item.price === "string" ? " (price a String, not a Number)" : ""),
            );
        }
        this.check("latestWins");
        const latest = invocation.latestByKey.get(key);
        if (record && latest && record !== latest) {
            this.violate(
                "latestWins",
                `inv#${invocation.id} wrote ${record.name}'s item for ${describeKey(key)}, but ${latest.name}, later, is in the same batch`,
            );
        }
        const write = { record, invocation };
        this.items.set(key, write);
        const writes = this.itemWrites.get(key);
        if (writes) writes.push(write);
        else this.itemWrites.set(key, [write]);
        this.trace(() => `  inv#${invocation.id}: item ${describeKey(key)} := ${record?.name ?? "?"}`);
    }

    // ---- S3

    private async s3(invocation: Invocation, command: unknown, signal?: AbortSignal): Promise<unknown> {
        if (invocation.dead) return hang();
        if (!(command instanceof PutObjectCommand)) {
            throw new Error(`the simulated S3 does not know ${(command as object)?.constructor?.name}`);
        }
        const { Bucket, Key, Body, ContentType } = command.input;
        if (Bucket !== SIMULATED_BUCKET) throw serviceError("NoSuchBucket", 404, "The specified bucket does not exist");
        const body = typeof Body === "string" ? Buffer.from(Body) : Buffer.from(Body as Uint8Array);
        return this.request(
            invocation,
            "s3",
            `PUT ${Key}`,
            () => (this.putObject(invocation, Key!, body, ContentType), { ETag: '"sim"' }),
            signal,
        );
    }

    /** Stores an object, checking that it keeps every line of the one it replaces and that its lines are right. */
    private putObject(invocation: Invocation, key: string, body: Buffer, contentType: string | undefined): void {
        const kind = key.split("/")[0] as CopyKind;
        const lines = this.readObject(invocation, key, body, contentType);
        const previous = this.objects.get(key);
        this.check("keptLines");
        if (previous) {
            const lost = [...previous.lines.keys()].filter(id => !lines.has(id));
            if (lost.length > 0) {
                this.violate(
                    "keptLines",
                    `inv#${invocation.id} PUT ${key} without ${lost.map(id => this.byId.get(id)?.name ?? id).join(", ")}, which it held`,
                );
            }
            for (const id of previous.lines.keys()) this.holders[kind]?.get(id)?.delete(key);
        }
        for (const id of lines.keys()) {
            const holders = this.holders[kind];
            if (!holders) continue;
            if (!holders.has(id)) holders.set(id, new Set());
            holders.get(id)!.add(key);
        }
        this.objects.set(key, { lines });
        this.trace(
            () =>
                `  inv#${invocation.id}: PUT ${key} (${[...lines.keys()].map(id => this.byId.get(id)?.name ?? id).join(" ")})`,
        );
    }

    /** The record ids an object holds, each with its line (record layout: the body), after checking them. */
    private readObject(
        invocation: Invocation,
        key: string,
        body: Buffer,
        contentType: string | undefined,
    ): Map<string, string> {
        const lines = new Map<string, string>();
        const kind = key.split("/")[0] as CopyKind;
        const where = `inv#${invocation.id} PUT ${key}`;
        this.check("objectKeys");
        if (!(kind in this.holders)) {
            this.violate("objectKeys", `${where}: not under raw/, processed/ or rejected/`);
            return lines;
        }
        const recordKey = /\/(\d+(?:-\d+)?)\.json$/.exec(key);
        // `<first>.ndjson.gz` (the range's end missing) breaks the contract, but its lines are read
        // all the same, so that what such keys lose shows too.
        const batchKey = /\/shard=([^/]+)\/(\d+)(?:-(\d+))?\.ndjson\.gz$/.exec(key);
        if (this.layout === "record" && recordKey) {
            if (contentType !== "application/json") this.violate("objectKeys", `${where}: Content-Type ${contentType}`);
            const record = this.byId.get(recordKey[1]);
            if (!record) {
                this.violate("objectKeys", `${where}: names no record`);
                return lines;
            }
            const line = kind === "raw" ? body.toString("base64") : body.toString("utf8");
            const expectedKey = recordLayoutKey(kind, record);
            if (key !== expectedKey) this.violate("objectKeys", `${where}: expected ${expectedKey}`);
            this.checkCopy(where, kind, record, line);
            lines.set(record.id, line);
            return lines;
        }
        if (this.layout === "batch" && batchKey) {
            if (contentType !== "application/x-ndjson")
                this.violate("objectKeys", `${where}: Content-Type ${contentType}`);
            const text = this.gunzip(body);
            if (text === undefined) {
                this.violate("identicalCopies", `${where}: not gzip`);
                return lines;
            }
            const [, shardId, first, last] = batchKey;
            const records: ExpectedRecord[] = [];
            for (const line of text.split("\n").slice(0, -1)) {
                const id = lineIdOf(line);
                const record = id === undefined ? undefined : this.byId.get(id);
                if (!record) {
                    this.violate("identicalCopies", `${where}: a line of no record: ${line.slice(0, 120)}`);
                    continue;
                }
                this.checkCopy(where, kind, record, line);
                lines.set(record.id, line);
                records.push(record);
            }
            if (!text.endsWith("\n")) this.violate("identicalCopies", `${where}: the last line has no newline`);
            this.checkBatchKey(where, key, kind, { shardId, first, last }, records);
            return lines;
        }
        this.violate("objectKeys", `${where}: not a key of the ${this.layout} layout`);
        return lines;
    }

    private checkBatchKey(
        where: string,
        key: string,
        kind: CopyKind,
        range: { shardId: string; first: string; last: string | undefined },
        records: ExpectedRecord[],
    ): void {
        const problems: string[] = [];
        if (range.last === undefined) problems.push("named by its first record alone, not <first>-<last>");
        const inRange = (record: ExpectedRecord) =>
            compareSequenceNumbers(record.sequenceNumber, range.first) >= 0 &&
            (range.last === undefined || compareSequenceNumbers(record.sequenceNumber, range.last) <= 0);
        if (records.some(record => record.shardId !== range.shardId)) problems.push("a line of another shard");
        if (records.some(record => !inRange(record))) problems.push("a line outside the key's range");
        if (records.some((record, i) => i > 0 && compareOrder(records[i - 1], record) >= 0)) {
            problems.push("lines out of stream order");
        }
        if (records.length === 0) problems.push("no line");
        if (kind === "raw" && records.length > 0) {
            const first = records[0];
            const last = records[records.length - 1];
            if (
                first.sequenceNumber !== range.first ||
                (range.last !== undefined && last.sequenceNumber !== range.last)
            ) {
                problems.push("the raw object does not start and end where its key says");
            }
            if (!key.startsWith(`raw/arrival_day=${utcDay(first.arrival)}/`))
                problems.push("arrival_day is not the first record's");
        }
        if (kind === "processed" && records.some(record => !key.startsWith(`processed/day=${record.tick?.day}/`))) {
            problems.push("a tick of another day");
        }
        if (problems.length > 0) this.violate("objectKeys", `${where}: ${problems.join("; ")}`);
    }

    /** A body's text; the same bodies come again with every retry and redelivery. */
    private gunzip(body: Buffer): string | undefined {
        const bytes = body.toString("latin1");
        if (!this.unzipped.has(bytes)) {
            try {
                this.unzipped.set(bytes, gunzipSync(body).toString("utf8"));
            } catch {
                this.unzipped.set(bytes, undefined);
            }
        }
        return this.unzipped.get(bytes);
    }

    /** A copy must match the first copy of that record, and the first must be what the contract writes. */
    private checkCopy(where: string, kind: CopyKind, record: ExpectedRecord, line: string): void {
        if (kind === "processed" && !record.tick) {
            this.violate("quarantined", `${where}: a processed copy of ${record.name}, which is invalid`);
        }
        if (kind === "rejected" && record.tick) {
            this.violate("stored", `${where}: ${record.name}, a valid tick, quarantined`);
        }
        this.check("identicalCopies");
        const first = this.firstLines[kind].get(record.id);
        if (first === line) return;
        if (first !== undefined) {
            this.violate("identicalCopies", `${where}: ${record.name}'s ${kind} copy differs from an earlier one`);
            return;
        }
        this.firstLines[kind].set(record.id, line);
        const problem =
            this.layout === "record" ? recordLayoutProblem(kind, record, line) : batchLineProblem(kind, record, line);
        if (problem) this.violate("identicalCopies", `${where}: ${record.name}'s ${kind} copy: ${problem}`);
    }

    // ---- What is stored

    private holds(kind: CopyKind, id: string): boolean {
        return (this.holders[kind].get(id)?.size ?? 0) > 0;
    }

    /**
     * What is missing for a record to count as stored, or undefined; "limit" when only its item
     * is older, rewritten by an older record after this one (or a later one) had been stored.
     * `pending`: records of the same invocation that are still to be redelivered, whose item write
     * may stand for this one's (a later record of the key wins).
     */
    unstored(record: ExpectedRecord, pending: ReadonlySet<ExpectedRecord> = new Set()): string | undefined {
        if (!this.holds("raw", record.id)) return "it has no raw copy";
        if (!record.tick) return this.holds("rejected", record.id) ? undefined : "it has no rejected copy";
        if (!this.holds("processed", record.id)) return "it has no processed copy";
        return this.itemProblem(record, pending);
    }

    private itemProblem(record: ExpectedRecord, pending: ReadonlySet<ExpectedRecord>): string | undefined {
        const key = expectedItemKey(record.tick!.symbol, record.tick!.timestamp);
        const item = this.items.get(key)?.record;
        if (item && compareOrder(item, record) >= 0) return undefined;
        for (const other of pending) {
            const tick = other.tick;
            if (tick && expectedItemKey(tick.symbol, tick.timestamp) === key && compareOrder(other, record) > 0)
                return undefined;
        }
        const writes = this.itemWrites.get(key) ?? [];
        if (writes.some(write => write.record && compareOrder(write.record, record) >= 0)) return "limit";
        return item ? `its item holds ${item.name}, an older record` : "it has no item";
    }

    /** Records the mapping checkpointed past (or a replay finished): each must be stored now. */
    acknowledged(records: ExpectedRecord[], by: string, pending: ReadonlySet<ExpectedRecord> = new Set()): void {
        for (const record of records) {
            this.check("acknowledged");
            const problem = this.unstored(record, pending);
            if (problem && problem !== "limit") {
                this.violate("acknowledged", `${record.name} acknowledged (${by}), but ${problem}`);
            }
        }
    }

    /** The checks at the end of a schedule, once the replays are done. */
    finalChecks(): void {
        for (const record of this.stream.all) {
            const invariant = record.tick ? "stored" : "quarantined";
            this.check(invariant);
            const problem = this.unstored(record);
            if (problem && problem !== "limit") this.violate(invariant, `${record.name} at the end: ${problem}`);
        }
        for (const [key, records] of this.stream.byKey) {
            this.check("latestWins");
            const latest = records.reduce((a, b) => (compareOrder(a, b) >= 0 ? a : b));
            const write = this.items.get(key);
            if (write?.record === latest) continue;
            const writes = this.itemWrites.get(key) ?? [];
            if (write && writes.some(w => w.record === latest)) {
                // Documented: an older record written again after the latest one was stored.
                this.stats.limit[write.invocation.kind === "replay" ? "replay" : "redelivery"]++;
                this.trace(
                    () =>
                        `documented limit: ${describeKey(key)} holds ${write.record?.name}, rewritten after ${latest.name}`,
                );
                continue;
            }
            this.violate(
                "latestWins",
                `${describeKey(key)} holds ${write?.record?.name ?? "nothing"}, and ${latest.name}, its latest record, was never written`,
            );
        }
    }
}

function describeKey(key: string): string {
    return key.replace("\u0000", "@");
}

/** The price as text: NumberValue (what the handler sends), a JS number, or a string (stored as S, wrongly). */
function priceText(price: unknown): string | undefined {
    if (price instanceof NumberValue) return price.value;
    if (typeof price === "object" && price !== null && typeof (price as { value?: unknown }).value === "string") {
        return (price as { value: string }).value;
    }
    if (typeof price === "number" || typeof price === "string") return String(price);
    return undefined;
}

function validDynamoNumber(text: string): boolean {
    const canonical = canonicalDecimal(text);
    return (
        canonical !== undefined && canonical.replace(/^-|\./g, "").replace(/^0+/, "").replace(/0+$/, "").length <= 38
    );
}

/** Sequence numbers as numbers: decimal strings too long for a double. The checker's own, apart from the handler's, so that a bug there cannot hide here. */
function compareSequenceNumbers(a: string, b: string): number {
    return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

/** The record id of an NDJSON line (sequence number, and sub-sequence number when in an aggregate). */
function lineIdOf(line: string): string | undefined {
    const sequence = /"sequenceNumber":"(\d+)"/.exec(line)?.[1];
    if (sequence === undefined) return undefined;
    const sub = /"subSequenceNumber":(\d+)/.exec(line)?.[1];
    return sub === undefined ? sequence : `${sequence}-${sub}`;
}

function recordLayoutKey(kind: CopyKind, record: ExpectedRecord): string {
    const name = `${record.id}.json`;
    if (kind === "processed") return `processed/day=${record.tick?.day}/symbol=${record.tick?.symbol}/${name}`;
    return `${kind}/arrival_day=${utcDay(record.arrival)}/shard=${record.shardId}/${name}`;
}

function tickProblem(fields: Record<string, unknown>, record: ExpectedRecord): string | undefined {
    const tick = record.tick!;
    const price = numberText(fields.price);
    if (price === undefined) return `price is not a JSON number`;
    if (canonicalDecimal(price) !== tick.price) return `price ${price}, expected ${tick.price}`;
    for (const name of ["symbol", "timestamp", "day"] as const) {
        if (fields[name] !== tick[name]) return `${name} ${JSON.stringify(fields[name])}, expected ${tick[name]}`;
    }
    return undefined;
}

function sourceProblem(
    fields: Record<string, unknown>,
    record: ExpectedRecord,
    withShard: boolean,
): string | undefined {
    if (fields.sequenceNumber !== record.sequenceNumber) return "wrong sequenceNumber";
    const sub = numberText(fields.subSequenceNumber);
    if ((sub === undefined ? undefined : Number(sub)) !== record.subSequenceNumber) return "wrong subSequenceNumber";
    if ("partitionKey" in fields && fields.partitionKey !== record.partitionKey) return "wrong partitionKey";
    if (withShard && fields.shardId !== record.shardId) return "wrong shardId";
    if (
        "approximateArrivalTimestamp" in fields &&
        Number(numberText(fields.approximateArrivalTimestamp)) !== record.arrival
    ) {
        return "wrong approximateArrivalTimestamp";
    }
    if ("data" in fields && fields.data !== record.data.toString("base64")) return "data is not the record's bytes";
    return undefined;
}

function rejectionProblem(fields: Record<string, unknown>, record: ExpectedRecord): string | undefined {
    if (typeof fields.reason !== "string" || fields.reason === "") return "no reason";
    for (const name of ["partitionKey", "approximateArrivalTimestamp", "data"]) {
        if (!(name in fields)) return `no ${name}`;
    }
    return sourceProblem(fields, record, true);
}

function recordLayoutProblem(kind: CopyKind, record: ExpectedRecord, line: string): string | undefined {
    if (kind === "raw") return line === record.data.toString("base64") ? undefined : "not the record's bytes";
    const fields = parseLine(line);
    if (!fields) return "not a JSON object";
    if (kind === "processed") {
        const names = Object.keys(fields).join(",");
        return names !== "symbol,price,timestamp,day" ? `fields ${names}` : tickProblem(fields, record);
    }
    return rejectionProblem(fields, record);
}

function batchLineProblem(kind: CopyKind, record: ExpectedRecord, line: string): string | undefined {
    const fields = parseLine(line);
    if (!fields) return "not a JSON object";
    if (kind === "raw") {
        for (const name of ["partitionKey", "approximateArrivalTimestamp", "data"]) {
            if (!(name in fields)) return `no ${name}`;
        }
        return sourceProblem(fields, record, false);
    }
    if (kind === "processed") return tickProblem(fields, record) ?? sourceProblem(fields, record, true);
    return rejectionProblem(fields, record);
}
