// The processor against endpoints that accept connections and never answer: it must still answer
// before the function's time runs out, reporting the records it could not store, as Lambda would
// otherwise time the whole invocation out (and retry the batch without knowing which records).
import * as net from "net";
import { expect } from "chai";
import type { AddressInfo } from "net";
import { BatchSummary, createHandlerFromEnvironment } from "../../pipeline/runtime/handler";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from "../../harness/aws/emulators";
import { kinesisEvent, sequenceNumber, tick } from "../support/kinesis-events";

/** A TCP server that takes every connection and every byte, and never answers. */
async function silentServer(): Promise<{ endpoint: string; close(): Promise<void> }> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer(socket => {
        sockets.add(socket);
        socket.on("error", () => undefined);
        socket.on("close", () => sockets.delete(socket));
        socket.resume(); // read and drop the request
    });
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        close: () => {
            for (const socket of sockets) socket.destroy();
            return new Promise(resolve => server.close(() => resolve()));
        },
    };
}

describe("the processor when DynamoDB and S3 accept connections and never answer", function () {
    this.timeout(30_000);
    let server: Awaited<ReturnType<typeof silentServer>>;
    const saved = { ...process.env };
    before(async () => {
        server = await silentServer();
        Object.assign(process.env, {
            AWS_REGION: EMULATOR_REGION,
            AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
            AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
            AWS_ENDPOINT_URL_DYNAMODB: server.endpoint,
            AWS_ENDPOINT_URL_S3: server.endpoint,
            S3_FORCE_PATH_STYLE: "true",
            TABLE_NAME: "ticks",
            BUCKET_NAME: "records",
            OBJECT_LAYOUT: "record",
        });
    });
    after(async () => {
        process.env = saved;
        await server?.close();
    });

    // Less than the SDK's own request timeout (5 s): without the abort, the requests would outlast it.
    for (const remainingMs of [4_000, 1_000]) {
        it(`answers within the ${remainingMs} ms left, reporting every record, none stored`, async () => {
            const summaries: BatchSummary[] = [];
            const handler = createHandlerFromEnvironment(summary => summaries.push(summary));
            const event = kinesisEvent([
                tick("AAPL", "1", "2026-11-28T10:00:00"),
                tick("MSFT", "2", "2026-11-28T10:00:00"),
            ]);
            const started = Date.now();
            const response = await handler(event, { getRemainingTimeInMillis: () => remainingMs });
            const took = Date.now() - started;

            expect(took, "answered before the function's time ran out").to.be.below(remainingMs);
            expect(response.batchItemFailures.map(failure => failure.itemIdentifier)).to.deep.equal([
                sequenceNumber(1),
                sequenceNumber(2),
            ]);
            expect(summaries[0]).to.include({ stored: 0, failed: 2 });
            expect(summaries[0].errors).to.have.property("AbortError");
        });
    }
});
