import { expect } from "chai";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { checkRequest, ReceivedRequest, SigningExpectations, SinkService } from "../../harness/sink/request-check";
import { recordingHandler } from "../support/recording-handler";

const EXPECTED: SigningExpectations = {
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    sessionToken: "SESSION",
    region: "us-east-1",
};
const CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER", sessionToken: "SESSION" };
const ENDPOINT = "http://127.0.0.1:4567";

/** Keeps the signed request instead of sending it (no socket), then fails the call. */
function capturing() {
    const { sent, requestHandler } = recordingHandler();
    return { captured: sent, requestHandler };
}

async function signedPutObject(credentials = CREDENTIALS): Promise<ReceivedRequest> {
    const { captured, requestHandler } = capturing();
    const s3 = new S3Client({
        region: "us-east-1",
        endpoint: ENDPOINT,
        forcePathStyle: true,
        credentials,
        maxAttempts: 1,
        requestHandler: requestHandler as never,
    });
    await s3
        .send(
            new PutObjectCommand({
                Bucket: "records",
                Key: "processed/day=2026-11-28/symbol=^GSPC/1.json",
                Body: '{"price":1}',
                ContentType: "application/json",
            }),
        )
        .catch(() => undefined);
    return captured[0];
}

async function signedBatchWrite(): Promise<ReceivedRequest> {
    const { captured, requestHandler } = capturing();
    const dynamo = DynamoDBDocumentClient.from(
        new DynamoDBClient({
            region: "us-east-1",
            endpoint: ENDPOINT,
            credentials: CREDENTIALS,
            maxAttempts: 1,
            requestHandler: requestHandler as never,
        }),
    );
    await dynamo
        .send(
            new BatchWriteCommand({
                RequestItems: {
                    ticks: [{ PutRequest: { Item: { symbol: "AAPL", timestamp: "2026-11-28T14:30:00" } } }],
                },
            }),
        )
        .catch(() => undefined);
    return captured[0];
}

const check = (service: SinkService, request: ReceivedRequest, expected = EXPECTED) =>
    checkRequest(service, request, expected);
const withHeaders = (request: ReceivedRequest, headers: Record<string, string | undefined>): ReceivedRequest => ({
    ...request,
    headers: { ...request.headers, ...headers },
});

describe("the sink's request check", () => {
    describe("a PutObject signed by the S3 client", () => {
        it("is accepted, named PutObject", async () => {
            expect(await check("s3", await signedPutObject())).to.deep.equal({
                operation: "PutObject",
                signatureProblems: [],
                headerProblems: [],
            });
        });

        it("is refused when its body was changed after signing", async () => {
            const request = await signedPutObject();
            const verdict = await check("s3", { ...request, body: Buffer.from('{"price":2}') });
            expect(verdict.signatureProblems.join()).to.match(/not the body's sha256/);
        });

        it("is refused when signed with another secret key", async () => {
            const verdict = await check("s3", await signedPutObject({ ...CREDENTIALS, secretAccessKey: "other" }));
            expect(verdict.signatureProblems).to.deep.equal(["signature does not match (SignatureDoesNotMatch)"]);
        });

        it("is refused when a signed header's value changed", async () => {
            const verdict = await check("s3", withHeaders(await signedPutObject(), { "content-type": "text/plain" }));
            expect(verdict.signatureProblems).to.deep.equal(["signature does not match (SignatureDoesNotMatch)"]);
        });

        it("is refused with an unsigned payload, a missing payload hash, or an x-amz header added unsigned", async () => {
            const request = await signedPutObject();
            expect(
                (
                    await check("s3", withHeaders(request, { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" }))
                ).signatureProblems.join(),
            ).to.match(/UNSIGNED-PAYLOAD/);
            expect(
                (
                    await check("s3", withHeaders(request, { "x-amz-content-sha256": undefined }))
                ).signatureProblems.join(),
            ).to.match(/missing x-amz-content-sha256/);
            expect((await check("s3", withHeaders(request, { "x-amz-meta-extra": "1" }))).signatureProblems).to.include(
                "x-amz-meta-extra is not signed",
            );
        });

        it("is refused without the expected session token, or signed too long ago", async () => {
            const request = await signedPutObject();
            expect(
                (await check("s3", withHeaders(request, { "x-amz-security-token": undefined }))).signatureProblems,
            ).to.include("missing x-amz-security-token");
            const later = new Date(Date.now() + 16 * 60 * 1000);
            expect((await checkRequest("s3", request, EXPECTED, later)).signatureProblems.join()).to.match(
                /more than 15 minutes/,
            );
        });

        it("needs a Content-Length that matches its body", async () => {
            const request = await signedPutObject();
            expect((await check("s3", { ...request, body: Buffer.alloc(0) })).headerProblems.join()).to.match(
                /content-length is "11", the body has 0 bytes/,
            );
        });
    });

    describe("a BatchWriteItem signed by the DynamoDB Document client", () => {
        it("is accepted, named BatchWriteItem", async () => {
            expect(await check("dynamodb", await signedBatchWrite())).to.deep.equal({
                operation: "BatchWriteItem",
                signatureProblems: [],
                headerProblems: [],
            });
        });

        it("is refused when checked as S3's (the credential scope names the service)", async () => {
            expect((await check("s3", await signedBatchWrite())).signatureProblems).to.include(
                "credential scope service dynamodb, expected s3",
            );
        });

        it("needs DynamoDB's JSON content type", async () => {
            const verdict = await check(
                "dynamodb",
                withHeaders(await signedBatchWrite(), { "content-type": "application/json" }),
            );
            expect(verdict.headerProblems.join()).to.match(/content-type is "application\/json"/);
        });
    });
});
