/**
 * Lambda's Runtime API (2018-06-01) for one execution environment, on 127.0.0.1: what a runtime
 * (here AWS's runtime interface client) polls for invocations and answers to.
 *
 *   GET  /2018-06-01/runtime/invocation/next             the next event, held until there is one
 *   POST /2018-06-01/runtime/invocation/{id}/response    the handler's result
 *   POST /2018-06-01/runtime/invocation/{id}/error       the handler's error
 *   POST /2018-06-01/runtime/init/error                  the handler could not be loaded
 *
 * The first GET …/next ends the init phase. Each event goes out with the headers Lambda sets
 * (request id, deadline, function ARN, trace id). Answers are 202; an answer for another request
 * id is 400 InvalidRequestID, a second answer 403, an unknown route 404, a response over Lambda's
 * limit 413, and that invocation then fails with Function.ResponseSizeTooLarge, as in Lambda.
 *
 * Deadlines are announced here and enforced by whoever invokes (FunctionPool kills the process).
 */
import { randomBytes, randomUUID } from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import { InitError } from "./errors";
import { REQUEST_PAYLOAD_LIMIT, RESPONSE_PAYLOAD_LIMIT } from "./limits";

const RUNTIME_API_VERSION = "2018-06-01";

/** The function returned an error, or its answer broke a limit: `name` is Lambda's errorType. */
export class FunctionError extends Error {
    constructor(errorType: string, message: string) {
        super(message);
        this.name = errorType;
    }
}

/** The event is over REQUEST_PAYLOAD_LIMIT: Lambda refuses the invocation before any runtime sees it. */
class RequestTooLarge extends Error {
    constructor(readonly bytes: number) {
        super(`Request must be smaller than ${REQUEST_PAYLOAD_LIMIT} bytes for the InvokeFunction operation`);
        this.name = "RequestEntityTooLargeException";
    }
}

export interface RuntimeApiOptions {
    /** Lambda-Runtime-Invoked-Function-Arn. */
    functionArn: string;
}

interface Invocation {
    id: string;
    payload: Buffer;
    deadlineMs: number;
    traceId: string;
    resolve: (result: unknown) => void;
    reject: (error: Error) => void;
}

const PREFIX = `/${RUNTIME_API_VERSION}/runtime`;
const ANSWER = new RegExp(`^${PREFIX}/invocation/([^/]+)/(response|error)$`);

/** An X-Ray trace header as Lambda passes one: a new root per invocation, not sampled. */
function traceHeader(): string {
    const epoch = Math.floor(Date.now() / 1000).toString(16);
    return `Root=1-${epoch}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0`;
}

export class RuntimeApi {
    /** host:port, for AWS_LAMBDA_RUNTIME_API. */
    readonly address: string;
    /** Set once the runtime has asked for its first invocation: its init phase is over. */
    initialized = false;
    /** Requests the runtime made, by route (`POST /runtime/init/error`, …): how it reported. */
    readonly requests: Record<string, number> = {};
    /** The runtime's GET …/next, answered when an invocation comes. */
    private waiting: http.ServerResponse | undefined;
    /** Given to invoke() but not yet to the runtime. */
    private queued: Invocation | undefined;
    /** Handed to the runtime, not yet answered. */
    private current: Invocation | undefined;
    /** The request id answered last (a second answer is refused). */
    private lastAnswered: string | undefined;
    private readonly readyWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
    private failure: Error | undefined;
    private closed: Promise<void> | undefined;

    private constructor(
        private readonly server: http.Server,
        private readonly options: RuntimeApiOptions,
    ) {
        this.address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
        server.on("request", (request, response) => this.route(request, response));
    }

    static async start(options: RuntimeApiOptions): Promise<RuntimeApi> {
        const server = http.createServer();
        // A GET …/next is held as long as no invocation comes, and a handler may run for minutes
        // between the event and its answer on the same connection: no idle or request timeouts.
        server.keepAliveTimeout = 0;
        server.requestTimeout = 0;
        server.headersTimeout = 0;
        server.timeout = 0;
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => resolve());
        });
        return new RuntimeApi(server, options);
    }

    /** Resolves at the runtime's first GET …/next; rejects when it fails first (see fail()). */
    ready(): Promise<void> {
        if (this.initialized) return Promise.resolve();
        if (this.failure) return Promise.reject(this.failure);
        return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    }

    /**
     * Hands `event` to the runtime with a deadline; resolves with the handler's result, rejects
     * with its error (a FunctionError), with RequestTooLarge, or with what fail() is given.
     */
    invoke(event: unknown, deadlineMs: number): Promise<unknown> {
        if (this.failure) return Promise.reject(this.failure);
        if (this.queued || this.current) return Promise.reject(new Error("this environment is already invoked"));
        const payload = Buffer.from(JSON.stringify(event));
        if (payload.length > REQUEST_PAYLOAD_LIMIT) return Promise.reject(new RequestTooLarge(payload.length));
        return new Promise((resolve, reject) => {
            this.queued = { id: randomUUID(), payload, deadlineMs, traceId: traceHeader(), resolve, reject };
            this.dispatch();
        });
    }

    /** The environment is gone (its process exited): whatever waits on it fails with `error`. */
    fail(error: Error): void {
        this.failure ??= error;
        for (const waiter of this.readyWaiters.splice(0)) waiter.reject(error);
        for (const invocation of [this.queued, this.current]) invocation?.reject(error);
        this.queued = this.current = undefined;
    }

    /**
     * Stops listening and drops the runtime's connections. Its native client waits for …/next in a
     * thread of Node's pool, which a process that exits (rather than is killed) waits for, and
     * would retry on a new connection: refused, it gives up and the process can end.
     */
    disconnect(): void {
        if (!this.closed) this.closed = new Promise(resolve => this.server.close(() => resolve()));
        this.waiting?.destroy();
        this.server.closeAllConnections();
    }

    async close(): Promise<void> {
        this.fail(new Error("the runtime API is closed"));
        this.disconnect();
        await this.closed;
    }

    private dispatch(): void {
        if (!this.queued || !this.waiting) return;
        const invocation = this.queued;
        const response = this.waiting;
        this.queued = this.waiting = undefined;
        this.current = invocation;
        response.writeHead(200, {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": invocation.id,
            "Lambda-Runtime-Deadline-Ms": String(invocation.deadlineMs),
            "Lambda-Runtime-Invoked-Function-Arn": this.options.functionArn,
            "Lambda-Runtime-Trace-Id": invocation.traceId,
        });
        response.end(invocation.payload);
    }

    private route(request: http.IncomingMessage, response: http.ServerResponse): void {
        const url = request.url ?? "";
        const route = `${request.method} ${routeOf(url)}`;
        this.requests[route] = (this.requests[route] ?? 0) + 1;
        if (url === `${PREFIX}/invocation/next`) {
            if (request.method !== "GET") return reply(response, 405, "MethodNotAllowed", "use GET");
            return this.next(response);
        }
        const answer = ANSWER.exec(url);
        if (answer || url === `${PREFIX}/init/error`) {
            if (request.method !== "POST") return reply(response, 405, "MethodNotAllowed", "use POST");
            readBody(request, RESPONSE_PAYLOAD_LIMIT).then(
                body =>
                    answer
                        ? this.answer(
                              decodeURIComponent(answer[1]),
                              answer[2] as "response" | "error",
                              request,
                              body,
                              response,
                          )
                        : this.initError(request, body, response),
                () => response.destroy(),
            );
            return;
        }
        reply(response, 404, "NotFound", `no route ${request.method} ${url}`);
    }

    private next(response: http.ServerResponse): void {
        // One invocation at a time: the runtime asks for the next one only once it answered this one.
        if (this.waiting || this.current)
            return reply(response, 403, "InvalidStateTransition", "the current invocation is not answered yet");
        this.waiting = response;
        response.on("close", () => {
            if (this.waiting === response) this.waiting = undefined;
        });
        if (!this.initialized) {
            this.initialized = true;
            for (const waiter of this.readyWaiters.splice(0)) waiter.resolve();
        }
        this.dispatch();
    }

    private answer(
        id: string,
        kind: "response" | "error",
        request: http.IncomingMessage,
        body: Body,
        response: http.ServerResponse,
    ): void {
        const invocation = this.current;
        if (id === this.lastAnswered) return reply(response, 403, "InvalidStateTransition", "already answered");
        if (!invocation || invocation.id !== id) return reply(response, 400, "InvalidRequestID", "Invalid request ID");
        this.current = undefined;
        this.lastAnswered = id;
        if (body.tooLarge) {
            invocation.reject(
                new FunctionError(
                    "Function.ResponseSizeTooLarge",
                    `Response payload size (${body.bytes} bytes) exceeded maximum allowed payload size (${RESPONSE_PAYLOAD_LIMIT} bytes).`,
                ),
            );
            return reply(
                response,
                413,
                "RequestEntityTooLarge",
                `Exceeded maximum allowed payload size (${RESPONSE_PAYLOAD_LIMIT} bytes).`,
            );
        }
        if (kind === "response") invocation.resolve(parsePayload(body.text));
        else invocation.reject(errorOf(request, body.text, "Unhandled"));
        accepted(response);
    }

    /** Before the first GET …/next, the init phase failed; after it, the invocation under way does. */
    private initError(request: http.IncomingMessage, body: Body, response: http.ServerResponse): void {
        const error = errorOf(request, body.text, "Runtime.Unknown");
        if (!this.initialized) this.fail(new InitError(error.name, error.message));
        else if (this.current) {
            this.current.reject(error);
            this.current = undefined;
        }
        accepted(response);
    }
}

/** `/runtime/invocation/{id}/response` and the like: a request's route, without its request id. */
function routeOf(url: string): string {
    const answer = ANSWER.exec(url);
    if (answer) return `/runtime/invocation/{id}/${answer[2]}`;
    if (url === `${PREFIX}/invocation/next` || url === `${PREFIX}/init/error`)
        return url.slice(RUNTIME_API_VERSION.length + 1);
    return "(unknown)";
}

interface Body {
    text: string;
    bytes: number;
    tooLarge: boolean;
}

/** Reads a request's body; past `limit` bytes it keeps counting but not the bytes. */
function readBody(request: http.IncomingMessage, limit: number): Promise<Body> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        request.on("data", (chunk: Buffer) => {
            bytes += chunk.length;
            if (bytes <= limit) chunks.push(chunk);
        });
        request.on("end", () =>
            resolve({ text: Buffer.concat(chunks).toString("utf8"), bytes, tooLarge: bytes > limit }),
        );
        request.on("error", reject);
    });
}

/** The handler's result as the invoker gets it: JSON, or the text itself when it is not. */
function parsePayload(text: string): unknown {
    if (text === "") return null;
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/** The error a runtime posts: {errorType, errorMessage, trace} and the Lambda-Runtime-Function-Error-Type header. */
function errorOf(request: http.IncomingMessage, text: string, fallbackType: string): FunctionError {
    let body: { errorType?: unknown; errorMessage?: unknown } = {};
    try {
        body = JSON.parse(text) ?? {};
    } catch {
        // Lambda keeps an error body that is not JSON as it is.
    }
    const header = request.headers["lambda-runtime-function-error-type"];
    const type =
        typeof body.errorType === "string" ? body.errorType : typeof header === "string" ? header : fallbackType;
    const message = typeof body.errorMessage === "string" ? body.errorMessage : text;
    return new FunctionError(type, message);
}

function accepted(response: http.ServerResponse): void {
    response.writeHead(202, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ status: "OK" }));
}

function reply(response: http.ServerResponse, status: number, errorType: string, errorMessage: string): void {
    response.writeHead(status, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ errorMessage, errorType }));
}
