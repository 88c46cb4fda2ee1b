/**
 * An HTTP proxy in front of an emulator that adds per-request latency and injects faults, shaped
 * as DynamoDB or S3 send them: 500 errors, throttling, connections reset (before the request
 * reaches the emulator, or after it carried the write out), requests refused for good and, for
 * DynamoDB, a BatchWriteItem answered with items unprocessed. It records what it saw, so tests can
 * count requests and know exactly which writes failed. A decision may also be a promise: the
 * request is held, unanswered and not forwarded, until it settles (e.g. until the handler's
 * deadline has passed, however slow the machine).
 */
import { buffer } from "stream/consumers";
import { setTimeout as sleep } from "timers/promises";
import * as http from "http";
import type * as net from "net";
import type { AddressInfo } from "net";

/**
 * A request's fate: forwarded; answered 500 (a transient error); throttled (S3: 503 SlowDown,
 * DynamoDB: 400 ProvisionedThroughputExceededException); its connection reset with no answer,
 * before it reaches the emulator ("reset") or after the emulator carried it out ("reset-after-write":
 * the client cannot know the write happened); refused for good (S3: 403 AccessDenied, DynamoDB: 400
 * ValidationException); or (DynamoDB BatchWriteItem) answered with the items that match
 * `unprocessed` left unprocessed while the others are forwarded and written.
 */
export type Fault =
    | "pass"
    | "error"
    | "throttle"
    | "reset"
    | "reset-after-write"
    | "refuse"
    | { unprocessed: (item: Record<string, any>) => boolean };

export interface ProxiedRequest {
    method: string;
    url: string;
    /** DynamoDB's operation (X-Amz-Target without the version), if any. */
    operation?: string;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
}

export type LoggedRequest = ProxiedRequest & { fault: Fault; heldBack: Record<string, any>[] };

/** A request's fate, at once or once a promise settles (the request is held until then). */
export type Decide = (request: ProxiedRequest) => Fault | Promise<Fault>;

export interface FaultProxyOptions {
    /** The emulator's endpoint, http://host:port. */
    target: string;
    /** Which service answers; shapes the injected errors. */
    service: "dynamodb" | "s3";
    /** Added to every request before it is forwarded (or failed). */
    latencyMs?: number;
    /** Decides each request's fate (or holds it until the promise settles); everything passes by default. */
    decide?: Decide;
    /** Keep every request in `log` (default true); a long run turns it off to bound memory. */
    keepLog?: boolean;
}

export interface FaultProxy {
    endpoint: string;
    /** Every request seen, with its fate (and the items held back as unprocessed, if any). */
    log: LoggedRequest[];
    setDecide(decide: Decide): void;
    setLatency(ms: number): void;
    close(): Promise<void>;
}

const dynamoError = (status: number, type: string) => ({
    status,
    type: "application/x-amz-json-1.0",
    body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: "injected fault" }),
});
const s3Error = (status: number, code: string) => ({
    status,
    type: "application/xml",
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected fault</Message></Error>`,
});
const ERRORS = {
    error: { dynamodb: dynamoError(500, "InternalServerError"), s3: s3Error(500, "InternalError") },
    throttle: { dynamodb: dynamoError(400, "ProvisionedThroughputExceededException"), s3: s3Error(503, "SlowDown") },
    refuse: { dynamodb: dynamoError(400, "ValidationException"), s3: s3Error(403, "AccessDenied") },
};

/**
 * Drops a connection with a TCP reset (ECONNRESET on the other side), as a failing network does.
 * A socket whose own side is already ending (the client half-closed and the HTTP server ended its
 * side too, as it does when the SDK gives a request up) is destroyed instead: libuv refuses to
 * reset a stream that is shutting down (EINVAL), and Node then leaves the handle half-closed, its
 * descriptor open and the process spinning at exit, forever (seen after chaos runs' summaries).
 */
export function resetConnection(socket: net.Socket | null | undefined): void {
    if (!socket || socket.destroyed) return;
    if (socket.writableEnded || typeof socket.resetAndDestroy !== "function") socket.destroy();
    else socket.resetAndDestroy();
}

/**
 * Splits a BatchWriteItem body into the part to forward and the items to answer as unprocessed.
 * (The forwarded body no longer matches its signature; the emulators do not check signatures.)
 */
function splitBatchWrite(
    body: Buffer,
    unprocessed: (item: Record<string, any>) => boolean,
): { forwarded: Buffer; unprocessedItems: Record<string, unknown[]> } {
    const request = JSON.parse(body.toString("utf8"));
    const kept: Record<string, unknown[]> = {};
    const heldBack: Record<string, unknown[]> = {};
    for (const [table, writes] of Object.entries(
        request.RequestItems as Record<string, { PutRequest: { Item: Record<string, any> } }[]>,
    )) {
        const held = writes.filter(write => unprocessed(write.PutRequest.Item));
        const rest = writes.filter(write => !unprocessed(write.PutRequest.Item));
        if (held.length) heldBack[table] = held;
        if (rest.length) kept[table] = rest;
    }
    const forwarded = Object.keys(kept).length
        ? Buffer.from(JSON.stringify({ ...request, RequestItems: kept }))
        : Buffer.alloc(0);
    return { forwarded, unprocessedItems: heldBack };
}

export function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
    const target = new URL(options.target);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
    const log: FaultProxy["log"] = [];
    let decide: Decide = options.decide ?? (() => "pass");
    let latencyMs = options.latencyMs ?? 0;

    const server = http.createServer(async (request, response) => {
        const body = await buffer(request);
        const amzTarget = request.headers["x-amz-target"];
        const seen: ProxiedRequest = {
            method: request.method!,
            url: request.url!,
            operation: typeof amzTarget === "string" ? amzTarget.split(".").pop() : undefined,
            headers: request.headers,
            body,
        };
        // Logged once decided: a request's attempts are sequential, so a key's last attempt is still logged last.
        const fault = await decide(seen);
        const logged: LoggedRequest = { ...seen, fault, heldBack: [] };
        if (options.keepLog !== false) log.push(logged);
        if (latencyMs) await sleep(latencyMs);

        if (fault === "reset") {
            resetConnection(response.socket);
            return;
        }
        if (fault === "error" || fault === "throttle" || fault === "refuse") {
            const answer = ERRORS[fault][options.service];
            response.writeHead(answer.status, { "content-type": answer.type });
            response.end(answer.body);
            return;
        }
        let forwarded: Buffer = body;
        let unprocessedItems: Record<string, unknown[]> = {};
        if (typeof fault === "object") {
            ({ forwarded, unprocessedItems } = splitBatchWrite(body, fault.unprocessed));
            logged.heldBack = Object.values(unprocessedItems)
                .flat()
                .map(write => (write as { PutRequest: { Item: Record<string, any> } }).PutRequest.Item);
            if (forwarded.length === 0) {
                response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
                response.end(JSON.stringify({ UnprocessedItems: unprocessedItems }));
                return;
            }
        }
        const upstream = http.request(
            {
                host: target.hostname,
                port: target.port,
                method: request.method,
                path: request.url,
                agent,
                headers: { ...request.headers, "content-length": String(forwarded.length) },
            },
            async reply => {
                if (fault === "reset-after-write") {
                    // The emulator has carried the request out; the client never hears so.
                    reply.resume().on("end", () => resetConnection(response.socket));
                    return;
                }
                if (typeof fault !== "object" || reply.statusCode !== 200) {
                    response.writeHead(reply.statusCode ?? 502, reply.headers);
                    reply.pipe(response);
                    return;
                }
                // Merge the items we held back into the emulator's answer.
                const answer = JSON.parse((await buffer(reply)).toString("utf8"));
                for (const [table, items] of Object.entries(unprocessedItems)) {
                    answer.UnprocessedItems = {
                        ...answer.UnprocessedItems,
                        [table]: [...(answer.UnprocessedItems?.[table] ?? []), ...items],
                    };
                }
                response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
                response.end(JSON.stringify(answer));
            },
        );
        upstream.on("error", () => {
            response.destroy();
        });
        upstream.end(forwarded);
    });
    server.keepAliveTimeout = 60_000;

    return new Promise(resolve => {
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as AddressInfo;
            resolve({
                endpoint: `http://127.0.0.1:${port}`,
                log,
                setDecide: next => {
                    decide = next;
                },
                setLatency: ms => {
                    latencyMs = ms;
                },
                close: () =>
                    new Promise(done => {
                        server.closeAllConnections();
                        agent.destroy();
                        server.close(() => done());
                    }),
            });
        });
    });
}
