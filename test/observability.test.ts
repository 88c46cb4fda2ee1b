import { expect } from "chai";
import { powertoolsObserver } from "../pipeline/runtime/handler";

/** Runs `fn` and returns the JSON lines it wrote to stdout. */
function captureStdout(fn: () => void): Record<string, any>[] {
    const lines: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => { lines.push(chunk.toString()); return true; }) as typeof process.stdout.write;
    try {
        fn();
    } finally {
        process.stdout.write = write;
    }
    return lines.join("").split("\n").filter(Boolean).map(line => JSON.parse(line));
}

describe("the processor's observability", () => {
    it("writes one JSON log line and one EMF document with RecordsStored, RecordsRejected and RecordsFailed per invocation", () => {
        const observe = powertoolsObserver();
        const output = captureStdout(() => observe({ received: 100, stored: 97, rejected: 2, failed: 1, durationMs: 42 }));
        const log = output.filter(line => line.message === "batch processed");
        expect(log).to.have.length(1);
        expect(log[0]).to.include({ level: "INFO", service: "stock-processor", received: 100, stored: 97, rejected: 2, failed: 1, durationMs: 42 });

        const emf = output.filter(line => line._aws);
        expect(emf).to.have.length(1);
        const [directive] = emf[0]._aws.CloudWatchMetrics;
        expect(directive.Namespace).to.equal("StockMarketPipeline");
        expect(directive.Metrics.map((m: { Name: string }) => m.Name)).to.deep.equal(["RecordsStored", "RecordsRejected", "RecordsFailed"]);
        expect(emf[0]).to.include({ RecordsStored: 97, RecordsRejected: 2, RecordsFailed: 1 });
    });
});
