/**
 * The tests' own pipeline (test/support/pipeline.ts): the handler reads its settings from
 * process.env as in Lambda, and one test's settings must not reach the next.
 */
import { expect } from "chai";
import { kinesisEvent, tick } from "../support/kinesis-events";
import { Emulators, freshPipeline, startEmulatorsBehindProxies } from "../support/pipeline";

describe("the tests' pipeline (freshPipeline)", function () {
    this.timeout(60_000);
    let emulators: Emulators;
    before(async () => {
        emulators = await startEmulatorsBehindProxies();
    });
    after(() => emulators?.close());

    it("gives the handler its environment while it is built and runs, and leaves process.env as it found it", async () => {
        const before = { ...process.env };
        const pipeline = await freshPipeline(emulators, "batch");
        expect(process.env).to.deep.equal(before);

        expect(await pipeline.invoke(kinesisEvent([tick("AAPL", "1.5", "2026-11-28T10:00:00Z")]))).to.deep.equal([]);
        // The batch layout's object: OBJECT_LAYOUT=batch was in effect during the invocation.
        expect(await pipeline.keys("processed/"))
            .to.have.length(1)
            .and.satisfy((keys: string[]) => keys[0].endsWith(".ndjson.gz"));
        expect(process.env).to.deep.equal(before);
    });
});
