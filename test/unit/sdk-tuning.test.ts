import { expect } from "chai";
import { PutObjectCommand, S3ClientConfig } from "@aws-sdk/client-s3";
import { isTransient } from "../../pipeline/runtime/retry";
import { createDynamoDBClient, createS3Client, FULL_TUNING } from "../../pipeline/runtime/sdk-tuning";
import { checkRequest } from "../../harness/sink/request-check";
import { Answer, recordingHandler } from "../support/recording-handler";

const SECRET = "secret";
const ENDPOINT = "http://127.0.0.1:4567";

const ok = (): Answer => ({ statusCode: 200, headers: { etag: '"x"' }, body: new Uint8Array() });
const s3Config = (overrides: Partial<S3ClientConfig>): S3ClientConfig => ({
    region: "us-east-1",
    endpoint: ENDPOINT,
    forcePathStyle: true,
    maxAttempts: 1,
    ...overrides,
});
const put = (key: string) =>
    new PutObjectCommand({ Bucket: "records", Key: key, Body: "{}", ContentType: "application/json" });

describe("the tuned AWS SDK clients", () => {
    it("sign each request with the credentials of the moment, also after they rotate", async () => {
        let rotation = 0;
        // Expiring within the SDK's refresh window: the client asks for credentials again on every request.
        const credentials = async () => ({
            accessKeyId: `KEY${++rotation}`,
            secretAccessKey: SECRET,
            sessionToken: `TOKEN${rotation}`,
            expiration: new Date(Date.now() + 1000),
        });
        const { sent, requestHandler } = recordingHandler(ok);
        const s3 = createS3Client(s3Config({ credentials, requestHandler }));
        await s3.send(put("a.json"));
        await s3.send(put("b.json"));

        expect(sent).to.have.length(2);
        const rotations = sent.map(request =>
            Number(/Credential=KEY(\d+)\//.exec(String(request.headers.authorization))?.[1]),
        );
        expect(rotations[1], "the second request signed with newer credentials").to.be.above(rotations[0]);
        for (const [index, request] of sent.entries()) {
            const expected = {
                accessKeyId: `KEY${rotations[index]}`,
                secretAccessKey: SECRET,
                sessionToken: `TOKEN${rotations[index]}`,
                region: "us-east-1",
            };
            expect(await checkRequest("s3", request, expected)).to.deep.equal({
                operation: "PutObject",
                signatureProblems: [],
                headerProblems: [],
            });
        }
    });

    it("refuse to replace the SDK's retries unless the client makes a single attempt", () => {
        expect(() => createS3Client(s3Config({ maxAttempts: 3 }))).to.throw(/passThroughRetry needs maxAttempts: 1/);
        expect(() => createDynamoDBClient({ region: "us-east-1" })).to.throw(/passThroughRetry needs maxAttempts: 1/);
        expect(() =>
            createS3Client(s3Config({ maxAttempts: 3 }), { ...FULL_TUNING, passThroughRetry: false }),
        ).to.not.throw();
    });

    it("keep every middleware that builds, frames or signs a request, and drop the ones they name", () => {
        const stack = createS3Client(s3Config({})).middlewareStack.identify().join("\n");
        for (const kept of [
            "serializerMiddleware",
            "contentLengthMiddleware",
            "hostHeaderMiddleware",
            "retryMiddleware",
            "httpSigningMiddleware",
            "deserializerMiddleware",
        ]) {
            expect(stack).to.include(kept);
        }
        for (const dropped of [
            "loggerMiddleware",
            "getUserAgentMiddleware",
            "recursionDetectionMiddleware",
            "addExpectContinueMiddleware",
            "s3ExpressMiddleware",
        ]) {
            expect(stack).to.not.include(dropped);
        }
    });

    it("report a service error with its name and status, so that ours retries it", async () => {
        const slowDown = (): Answer => ({
            statusCode: 503,
            headers: { "content-type": "application/xml" },
            body: Buffer.from(
                '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
            ),
        });
        const { sent, requestHandler } = recordingHandler(slowDown);
        const s3 = createS3Client(
            s3Config({ credentials: { accessKeyId: "KEY", secretAccessKey: SECRET }, requestHandler }),
        );
        const error = await s3.send(put("a.json")).then(
            () => null,
            (e: unknown) => e,
        );
        expect(error).to.include({ name: "SlowDown" });
        expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).to.equal(503);
        expect(isTransient(error)).to.equal(true);
        expect(sent, "a single attempt: the handler's own retries know the deadline").to.have.length(1);
    });
});
