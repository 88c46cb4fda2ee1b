/**
 * What real S3 and DynamoDB would check of a request before doing anything with it: a SigV4
 * signature that recomputes (with @smithy/signature-v4, from the request's own bytes), a signed
 * payload hash that matches the body, the headers the service requires, every `x-amz-*` header
 * signed, a credential scope and date the service would accept. Pure: no I/O.
 */
import { createHash, createHmac } from "crypto";
import { SignatureV4 } from "@smithy/signature-v4";

export type SinkService = "s3" | "dynamodb";

/** A request as the sink received it: `url` is the raw path and query, `headers` lower-cased by Node.js. */
export interface ReceivedRequest {
    method: string;
    url: string;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
}

export interface SigningExpectations {
    accessKeyId: string;
    secretAccessKey: string;
    /** When set, the request must carry (and sign) exactly this `x-amz-security-token`. */
    sessionToken?: string;
    region: string;
}

/** What one request failed: an invalid signature, or other problems (missing headers and the like). */
export interface RequestVerdict {
    operation: string;
    signatureProblems: string[];
    headerProblems: string[];
}

/** The services refuse a request signed more than 15 minutes away from their clock. */
const MAX_SKEW_MS = 15 * 60 * 1000;
const AUTHORIZATION =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/** @smithy/signature-v4's hash interface over Node.js crypto (HMAC when given a key). */
class NodeSha256 {
    private readonly hash;
    constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
        const key = secret instanceof ArrayBuffer ? new Uint8Array(secret) : secret;
        this.hash = key === undefined ? createHash("sha256") : createHmac("sha256", key as string | Uint8Array);
    }
    update(data: Uint8Array): void {
        this.hash.update(data);
    }
    async digest(): Promise<Uint8Array> {
        return this.hash.digest();
    }
}

function header(request: ReceivedRequest, name: string): string | undefined {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(",") : value;
}

/** `20261129T101500Z` → Date, or undefined when malformed. */
function parseAmzDate(text: string | undefined): Date | undefined {
    const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? "");
    if (!match) return undefined;
    const [, y, mo, d, h, mi, s] = match.map(Number);
    return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

/** The operation a request asks for: DynamoDB's from X-Amz-Target, S3's from the method and path (path-style). */
export function operationOf(service: SinkService, request: ReceivedRequest): string {
    if (service === "dynamodb")
        return header(request, "x-amz-target")?.split(".").pop() ?? `${request.method} (no X-Amz-Target)`;
    const url = new URL(request.url, "http://sink");
    const [bucket, ...key] = url.pathname.slice(1).split("/");
    const subresources = [...url.searchParams.keys()].filter(name => name !== "x-id");
    if (
        request.method === "PUT" &&
        bucket &&
        key.join("/") &&
        subresources.length === 0 &&
        !header(request, "x-amz-copy-source")
    )
        return "PutObject";
    return `${request.method} ${key.length ? "object" : "bucket"}${subresources.length ? `?${subresources.join("&")}` : ""}`;
}

/** Headers the operation cannot do without, beyond the signature's own. */
function requiredHeaderProblems(service: SinkService, operation: string, request: ReceivedRequest): string[] {
    const problems: string[] = [];
    const require = (name: string, expected?: (value: string) => boolean, what = "") => {
        const value = header(request, name);
        if (value === undefined) problems.push(`missing ${name}`);
        else if (expected && !expected(value)) problems.push(`${name} is ${JSON.stringify(value)}${what}`);
    };
    require("host");
    // Requests with a body (PutObject, every DynamoDB call) must say how long it is.
    if (service === "dynamodb" || operation === "PutObject") {
        require("content-length", value =>
            Number(value) === request.body.length, `, the body has ${request.body.length} bytes`);
    }
    if (service === "s3") {
        // PutObject needs no Content-MD5 or checksum (only Object Lock buckets do; ours has none).
        if (header(request, "transfer-encoding")) problems.push("chunked transfer (S3 wants a Content-Length)");
    } else {
        require("content-type", value =>
            value === "application/x-amz-json-1.0", ", DynamoDB wants application/x-amz-json-1.0");
        require("x-amz-target", value => /^DynamoDB_20120810\.[A-Za-z]+$/.test(value));
        try {
            JSON.parse(request.body.toString("utf8"));
        } catch {
            problems.push(`${operation}: the body is not JSON`);
        }
    }
    return problems;
}

/** The payload hash S3 signs must be the body's (UNSIGNED-PAYLOAD would leave the body unsigned). */
function payloadProblems(service: SinkService, request: ReceivedRequest): string[] {
    const claimed = header(request, "x-amz-content-sha256");
    if (claimed === undefined)
        return service === "s3" ? ["missing x-amz-content-sha256 (S3 requires it with SigV4)"] : [];
    const actual = request.body.length ? createHash("sha256").update(request.body).digest("hex") : EMPTY_SHA256;
    if (claimed === "UNSIGNED-PAYLOAD") return ["x-amz-content-sha256 is UNSIGNED-PAYLOAD: the body is not signed"];
    return claimed === actual ? [] : [`x-amz-content-sha256 ${claimed} is not the body's sha256 ${actual}`];
}

function scopeProblems(
    service: SinkService,
    expected: SigningExpectations,
    scope: { accessKeyId: string; day: string; region: string; service: string },
    date: Date | undefined,
    now: Date,
): string[] {
    const problems: string[] = [];
    if (scope.accessKeyId !== expected.accessKeyId) problems.push(`unknown access key ${scope.accessKeyId}`);
    if (scope.region !== expected.region)
        problems.push(`credential scope region ${scope.region}, expected ${expected.region}`);
    if (scope.service !== service) problems.push(`credential scope service ${scope.service}, expected ${service}`);
    if (!date) problems.push("missing or malformed x-amz-date");
    else {
        if (date.toISOString().slice(0, 10).replace(/-/g, "") !== scope.day)
            problems.push(`credential scope day ${scope.day} is not x-amz-date's`);
        if (Math.abs(date.getTime() - now.getTime()) > MAX_SKEW_MS)
            problems.push(`x-amz-date ${date.toISOString()} is more than 15 minutes from now`);
    }
    return problems;
}

/** Signed headers the services insist on: host, every x-amz-* header sent, the session token if any. */
function signedHeaderProblems(request: ReceivedRequest, signed: string[], expected: SigningExpectations): string[] {
    const problems: string[] = [];
    const mustSign = ["host", ...Object.keys(request.headers).filter(name => name.startsWith("x-amz-"))];
    for (const name of mustSign) if (!signed.includes(name)) problems.push(`${name} is not signed`);
    for (const name of signed)
        if (header(request, name) === undefined) problems.push(`signed header ${name} is missing`);
    const token = header(request, "x-amz-security-token");
    if (expected.sessionToken !== undefined && token !== expected.sessionToken)
        problems.push(token === undefined ? "missing x-amz-security-token" : "wrong x-amz-security-token");
    return problems;
}

/** Recomputes the signature over exactly the signed headers, the raw path and query, and the claimed payload hash. */
async function recomputedSignature(
    service: SinkService,
    request: ReceivedRequest,
    signed: string[],
    expected: SigningExpectations,
    date: Date,
    scopeRegion: string,
): Promise<string | undefined> {
    const url = new URL(request.url, `http://${header(request, "host")}`);
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams)
        query[name] = name in query ? [query[name]].flat().concat(value) : value;
    const headers = Object.fromEntries(signed.map(name => [name, header(request, name)!]));
    const signer = new SignatureV4({
        credentials: { accessKeyId: expected.accessKeyId, secretAccessKey: expected.secretAccessKey },
        region: scopeRegion,
        service,
        sha256: NodeSha256,
        // S3 signs the path as sent; other services URI-encode it once more.
        uriEscapePath: service !== "s3",
        applyChecksum: false,
    });
    const result = await signer.sign(
        {
            method: request.method,
            protocol: "http:",
            hostname: url.hostname,
            port: url.port ? Number(url.port) : undefined,
            path: url.pathname,
            query,
            headers,
            body: request.body,
        },
        { signingDate: date, signingRegion: scopeRegion, signingService: service },
    );
    const authorization = (result.headers as Record<string, string>).authorization;
    return AUTHORIZATION.exec(authorization ?? "")?.[6];
}

/** Everything real S3 or DynamoDB would refuse this request for; empty arrays when it would accept it. */
export async function checkRequest(
    service: SinkService,
    request: ReceivedRequest,
    expected: SigningExpectations,
    now = new Date(),
): Promise<RequestVerdict> {
    const operation = operationOf(service, request);
    const headerProblems = requiredHeaderProblems(service, operation, request);
    const signatureProblems = payloadProblems(service, request);
    const parsed = AUTHORIZATION.exec(header(request, "authorization") ?? "");
    if (!parsed)
        return {
            operation,
            headerProblems,
            signatureProblems: [...signatureProblems, "missing or malformed SigV4 Authorization header"],
        };
    const [, accessKeyId, day, region, scopeService, signedList, signature] = parsed;
    const signed = signedList.split(";");
    const date = parseAmzDate(header(request, "x-amz-date"));
    signatureProblems.push(
        ...scopeProblems(service, expected, { accessKeyId, day, region, service: scopeService }, date, now),
    );
    signatureProblems.push(...signedHeaderProblems(request, signed, expected));
    if (date && signed.every(name => header(request, name) !== undefined)) {
        const recomputed = await recomputedSignature(service, request, signed, expected, date, region);
        if (recomputed !== signature) signatureProblems.push("signature does not match (SignatureDoesNotMatch)");
    }
    return { operation, headerProblems, signatureProblems };
}
