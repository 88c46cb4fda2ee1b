import { expect } from "chai";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { startSinkProcess, SinkProcess } from "../../harness/sink/sink-process";

const CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

describe("the S3 and DynamoDB sink", function () {
    this.timeout(30_000);
    let sink: SinkProcess;
    before(async () => {
        sink = await startSinkProcess();
    });
    after(async () => {
        await sink?.close();
    });

    const s3 = (credentials = CREDENTIALS) =>
        new S3Client({
            region: "us-east-1",
            endpoint: sink.endpoints.s3,
            forcePathStyle: true,
            credentials,
            maxAttempts: 1,
        });
    const dynamo = () =>
        DynamoDBDocumentClient.from(
            new DynamoDBClient({
                region: "us-east-1",
                endpoint: sink.endpoints.dynamodb,
                credentials: CREDENTIALS,
                maxAttempts: 1,
            }),
        );

    it("answers PutObject with an ETag, BatchWriteItem with nothing unprocessed and PutItem, counting each", async () => {
        const before = await sink.stats();
        const put = await s3().send(new PutObjectCommand({ Bucket: "records", Key: "raw/a.json", Body: "{}" }));
        expect(put.ETag).to.equal('"99914b932bd37a50b983c5e7c90ae93b"'); // MD5 of "{}", as S3 gives it
        const batch = await dynamo().send(
            new BatchWriteCommand({ RequestItems: { ticks: [{ PutRequest: { Item: { symbol: "AAPL" } } }] } }),
        );
        expect(batch.UnprocessedItems).to.deep.equal({});
        await dynamo().send(new PutCommand({ TableName: "ticks", Item: { symbol: "AAPL" } }));

        const after = await sink.stats();
        const count = (operation: string) => (after.requests[operation] ?? 0) - (before.requests[operation] ?? 0);
        expect([count("s3:PutObject"), count("dynamodb:BatchWriteItem"), count("dynamodb:PutItem")]).to.deep.equal([
            1, 1, 1,
        ]);
        expect(after.invalidSignatures).to.equal(before.invalidSignatures);
        expect(after.cpuMs).to.be.above(0);
    });

    it("refuses a request signed with another secret as S3 would, and counts it as an invalid signature", async () => {
        const before = await sink.stats();
        const refused = await s3({ ...CREDENTIALS, secretAccessKey: "not-the-secret" })
            .send(new PutObjectCommand({ Bucket: "records", Key: "raw/b.json", Body: "{}" }))
            .then(
                () => null,
                (error: Error) => error,
            );
        expect(refused).to.include({ name: "SignatureDoesNotMatch" });
        expect((await sink.stats()).invalidSignatures - before.invalidSignatures).to.equal(1);
    });

    it("answers an operation it does not serve with an error, never a success", async () => {
        const error = await s3()
            .send(new GetObjectCommand({ Bucket: "records", Key: "raw/a.json" }))
            .then(
                () => null,
                (e: Error) => e,
            );
        expect(error).to.include({ name: "NotImplemented" });
        expect((await sink.stats()).requests["s3:GET object"]).to.equal(1);
    });
});
