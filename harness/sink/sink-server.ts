/**
 * A stand-in for S3 and DynamoDB that stores nothing and answers at once (after an optional
 * latency): PutObject gets 200 and an ETag, BatchWriteItem `{"UnprocessedItems":{}}`, PutItem `{}`.
 * Every request is checked as the services would (harness/sink/request-check.ts): a request with a
 * bad signature or a missing header is refused as S3 or DynamoDB would refuse it, and counted.
 * Meant to run in a process of its own (harness/sink/sink-process.ts), so that its CPU, checking
 * signatures included, is not the measured process's.
 */
import { buffer } from "stream/consumers";
import { setTimeout as sleep } from "timers/promises";
import { createHash, randomUUID } from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";
import { crc32 } from "zlib";
import { checkRequest, ReceivedRequest, SigningExpectations, SinkService } from "./request-check";
import { writeUnitsOf } from "./write-units";

export interface SinkOptions {
    /** Added to every answer, per service (0 by default): spent waiting in the sink, not in the caller. */
    latencyMs?: Partial<Record<SinkService, number>>;
    /** What a valid request is signed with. */
    signing: SigningExpectations;
}

export interface SinkStats {
    /** Requests per `service:operation`, e.g. `s3:PutObject`, `dynamodb:BatchWriteItem`, refused ones included. */
    requests: Record<string, number>;
    /** Requests whose signature real AWS would refuse (SignatureDoesNotMatch and the like). */
    invalidSignatures: number;
    /** Requests missing a header the service requires (or with a wrong one), signature aside. */
    headerProblems: number;
    /** The first problems met, for a readable failure. */
    problemSamples: string[];
    /** Items that accepted PutItem and BatchWriteItem requests put, and the write request units they consume. */
    dynamodbItems: number;
    dynamodbWriteUnits: number;
    /** How many requests carried each header name, e.g. {"x-amz-date": 204}. */
    headerNames: Record<string, number>;
    /** CPU the sink's process has used so far, ms. */
    cpuMs: number;
}

export interface Sink {
    endpoints: Record<SinkService, string>;
    stats(): SinkStats;
    close(): Promise<void>;
}

const MAX_SAMPLES = 20;
interface Answer {
    status: number;
    headers: Record<string, string>;
    body: string;
}

function s3Error(status: number, code: string, message: string): Answer {
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message.replace(/[<&]/g, c => (c === "<" ? "&lt;" : "&amp;"))}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
    return { status, headers: { "content-type": "application/xml" }, body };
}

function dynamoAnswer(status: number, document: object): Answer {
    const body = JSON.stringify(document);
    return {
        status,
        headers: {
            "content-type": "application/x-amz-json-1.0",
            "x-amz-crc32": String(crc32(body)),
            "x-amzn-requestid": randomUUID(),
        },
        body,
    };
}

const dynamoError = (type: string, message: string) =>
    dynamoAnswer(400, { __type: `com.amazon.coral.service#${type}`, message });

/** The answer S3 would give a request that passed its checks. */
function s3Answer(operation: string, body: Buffer): Answer {
    if (operation !== "PutObject")
        return s3Error(501, "NotImplemented", `the sink answers PutObject only, not ${operation}`);
    const etag = `"${createHash("md5").update(body).digest("hex")}"`;
    return {
        status: 200,
        headers: { etag, "x-amz-server-side-encryption": "AES256", "x-amz-request-id": randomUUID() },
        body: "",
    };
}

/** The answer DynamoDB would give a request that passed its checks, every item written. */
function dynamoOperationAnswer(operation: string): Answer {
    if (operation === "BatchWriteItem") return dynamoAnswer(200, { UnprocessedItems: {} });
    if (operation === "PutItem") return dynamoAnswer(200, {});
    return dynamoError(
        "UnknownOperationException",
        `the sink answers BatchWriteItem and PutItem only, not ${operation}`,
    );
}

export async function startSink(options: SinkOptions): Promise<Sink> {
    const stats: Omit<SinkStats, "cpuMs"> = {
        requests: {},
        invalidSignatures: 0,
        headerProblems: 0,
        problemSamples: [],
        dynamodbItems: 0,
        dynamodbWriteUnits: 0,
        headerNames: {},
    };
    const sample = (service: SinkService, operation: string, problems: string[]) => {
        for (const problem of problems)
            if (stats.problemSamples.length < MAX_SAMPLES)
                stats.problemSamples.push(`${service}:${operation}: ${problem}`);
    };

    const answer = async (service: SinkService, received: ReceivedRequest): Promise<Answer> => {
        for (const name of Object.keys(received.headers)) stats.headerNames[name] = (stats.headerNames[name] ?? 0) + 1;
        const verdict = await checkRequest(service, received, options.signing);
        const key = `${service}:${verdict.operation}`;
        stats.requests[key] = (stats.requests[key] ?? 0) + 1;
        sample(service, verdict.operation, [...verdict.signatureProblems, ...verdict.headerProblems]);
        if (verdict.signatureProblems.length) {
            stats.invalidSignatures++;
            const message = verdict.signatureProblems.join("; ");
            return service === "s3"
                ? s3Error(403, "SignatureDoesNotMatch", message)
                : dynamoError("InvalidSignatureException", message);
        }
        if (verdict.headerProblems.length) {
            stats.headerProblems++;
            const message = verdict.headerProblems.join("; ");
            return service === "s3"
                ? s3Error(400, "InvalidRequest", message)
                : dynamoError("ValidationException", message);
        }
        if (service === "s3") return s3Answer(verdict.operation, received.body);
        const { items, writeUnits } = writeUnitsOf(verdict.operation, JSON.parse(received.body.toString("utf8")));
        stats.dynamodbItems += items;
        stats.dynamodbWriteUnits += writeUnits;
        return dynamoOperationAnswer(verdict.operation);
    };

    const serve = (service: SinkService) => async (request: http.IncomingMessage, response: http.ServerResponse) => {
        try {
            const received: ReceivedRequest = {
                method: request.method!,
                url: request.url!,
                headers: request.headers,
                body: await buffer(request),
            };
            const [result] = await Promise.all([answer(service, received), sleep(options.latencyMs?.[service] ?? 0)]);
            response.writeHead(result.status, {
                ...result.headers,
                "content-length": String(Buffer.byteLength(result.body)),
            });
            response.end(result.body);
        } catch (error) {
            sample(service, "?", [`the sink failed: ${error}`]);
            response.destroy();
        }
    };

    const servers = { s3: http.createServer(serve("s3")), dynamodb: http.createServer(serve("dynamodb")) };
    const endpoints = {} as Record<SinkService, string>;
    for (const [service, server] of Object.entries(servers) as [SinkService, http.Server][]) {
        server.keepAliveTimeout = 60_000;
        await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
        endpoints[service] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
    const close = (server: http.Server) =>
        new Promise<void>(done => {
            server.closeAllConnections();
            server.close(() => done());
        });
    return {
        endpoints,
        stats: () => {
            const cpu = process.cpuUsage();
            return structuredClone({ ...stats, cpuMs: (cpu.user + cpu.system) / 1000 });
        },
        close: async () => {
            await Promise.all(Object.values(servers).map(close));
        },
    };
}
