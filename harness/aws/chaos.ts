/**
 * Faults at a given rate per request, for the fault proxy between the function and the emulators
 * (`npm run local -- --faults 0.2`): a mix of what DynamoDB and S3 really answer under stress.
 *
 * Each request's fate is drawn from a hash of the run's seed, the request itself (method, path,
 * body) and how many times that same request was seen before: a retry draws again, and the same
 * request gets the same fate in another run with the same seed, whatever the other requests in
 * flight do. (Which requests a run makes still depends on timing, through the batches the
 * pollers happen to read, so a run is reproducible as far as its batches are.)
 */
import { createHash } from "crypto";
import type { Fault, ProxiedRequest } from "./fault-proxy";

export type FaultKind = "error" | "throttle" | "reset" | "reset-after-write" | "refuse" | "unprocessed";

/**
 * The default mix, as shares of the faults: almost all transient errors, which the processor
 * retries within the invocation; one in fifty an error it does not retry (a 403 or a
 * ValidationException, as an expired credential or a permission not yet propagated gives), whose
 * record is reported failed and redelivered by the event source mapping, and given up to the
 * failure destination once the retries are spent. `unprocessed` applies to DynamoDB's
 * BatchWriteItem only; elsewhere its share goes to the others.
 */
const DEFAULT_FAULT_MIX: Record<FaultKind, number> = {
    error: 0.35,
    throttle: 0.28,
    reset: 0.1,
    "reset-after-write": 0.1,
    unprocessed: 0.15,
    refuse: 0.02,
};

/** A uniform number in [0, 1) from the hash of the parts: the same parts, the same number. */
export function seededUniform(...parts: (string | number | Buffer)[]): number {
    const hash = createHash("sha256");
    for (const part of parts) {
        hash.update(typeof part === "number" ? String(part) : part);
        hash.update("\u0000");
    }
    return hash.digest().readUInt32BE(0) / 2 ** 32;
}

export interface FaultInjectorOptions {
    seed: number;
    /** Share of requests that get a fault, 0 to 1. */
    rate: number;
    service: "dynamodb" | "s3";
    mix?: Record<FaultKind, number>;
}

type BatchWrite = { RequestItems: Record<string, { PutRequest?: { Item: Record<string, unknown> } }[]> };

/** Decides the fate of each request a fault proxy sees, and counts the faults it injected. */
export class FaultInjector {
    /** Faults injected so far, by kind. */
    readonly injected: Record<FaultKind, number> = {
        error: 0,
        throttle: 0,
        reset: 0,
        "reset-after-write": 0,
        refuse: 0,
        unprocessed: 0,
    };
    /** Requests seen so far. */
    requests = 0;
    private readonly seen = new Map<string, number>();
    private readonly mix: Record<FaultKind, number>;

    constructor(private readonly options: FaultInjectorOptions) {
        this.mix = options.mix ?? DEFAULT_FAULT_MIX;
    }

    get total(): number {
        return Object.values(this.injected).reduce((sum, n) => sum + n, 0);
    }

    /** The proxy's `decide`. */
    readonly decide = (request: ProxiedRequest): Fault => {
        this.requests++;
        const identity = createHash("sha256")
            .update(`${request.method} ${request.url}\u0000`)
            .update(request.body)
            .digest("hex");
        const occurrence = this.seen.get(identity) ?? 0;
        this.seen.set(identity, occurrence + 1);
        const draw = (...more: (string | number)[]) =>
            seededUniform(this.options.seed, this.options.service, identity, occurrence, ...more);
        if (draw("fault?") >= this.options.rate) return "pass";

        const batchWrite = request.operation === "BatchWriteItem";
        const kind = this.pickKind(draw("kind"), batchWrite);
        this.injected[kind]++;
        if (kind !== "unprocessed") return kind;
        return { unprocessed: heldBackItems(request.body, item => draw("item", item)) };
    };

    private pickKind(u: number, batchWrite: boolean): FaultKind {
        const kinds = (Object.keys(this.mix) as FaultKind[]).filter(
            kind => this.mix[kind] > 0 && (kind !== "unprocessed" || batchWrite),
        );
        const total = kinds.reduce((sum, kind) => sum + this.mix[kind], 0);
        let threshold = u * total;
        for (const kind of kinds) {
            threshold -= this.mix[kind];
            if (threshold < 0) return kind;
        }
        return kinds[kinds.length - 1];
    }
}

/**
 * About half of a BatchWriteItem's items, and at least one, as a predicate over the items the
 * proxy parses from the body (matched by their JSON).
 */
function heldBackItems(body: Buffer, draw: (item: string) => number): (item: Record<string, unknown>) => boolean {
    const request = JSON.parse(body.toString("utf8")) as BatchWrite;
    const items = Object.values(request.RequestItems)
        .flat()
        .map(write => JSON.stringify(write.PutRequest?.Item ?? null));
    const held = new Set(items.filter(item => draw(item) < 0.5));
    if (held.size === 0 && items.length > 0) held.add(items[0]);
    return item => held.has(JSON.stringify(item));
}
