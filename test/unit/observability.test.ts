import { expect } from "chai";
import { powertoolsObserver } from "../../pipeline/runtime/handler";

/** Runs `fn` and returns the JSON lines it wrote to stdout and stderr (both reach CloudWatch Logs). */
function captureOutput(fn: () => void): Record<string, any>[] {
    const lines: string[] = [];
    const capture = ((chunk: string | Uint8Array) => {
        lines.push(chunk.toString());
        return true;
    }) as typeof process.stdout.write;
    const { stdout, stderr } = process;
    const writes = [stdout.write, stderr.write];
    stdout.write = stderr.write = capture;
    try {
        fn();
    } finally {
        [stdout.write, stderr.write] = writes;
    }
    return lines
        .join("")
        .split("\n")
        .filter(Boolean)
        .map(line => JSON.parse(line));
}

describe("the processor's observability", () => {
    it("writes one JSON log line and one EMF document with RecordsStored, RecordsRejected, RecordsFailed and IngestLag per invocation", () => {
        const observe = powertoolsObserver();
        const output = captureOutput(() =>
            observe({
                received: 5,
                userRecords: 100,
                objects: 2,
                stored: 98,
                rejected: 2,
                failed: 0,
                durationMs: 42,
                ingestLagMs: 1500,
            }),
        );
        const log = output.filter(line => line.message === "batch processed");
        expect(log).to.have.length(1);
        expect(log[0]).to.include({
            level: "INFO",
            service: "stock-processor",
            received: 5,
            userRecords: 100,
            objects: 2,
            stored: 98,
            rejected: 2,
            failed: 0,
            durationMs: 42,
        });

        const emf = output.filter(line => line._aws);
        expect(emf).to.have.length(1);
        const [directive] = emf[0]._aws.CloudWatchMetrics;
        expect(directive.Namespace).to.equal("StockMarketPipeline");
        expect(directive.Metrics.map((m: { Name: string }) => m.Name)).to.deep.equal([
            "RecordsStored",
            "RecordsRejected",
            "RecordsFailed",
            "IngestLag",
        ]);
        expect(emf[0]).to.include({ RecordsStored: 98, RecordsRejected: 2, RecordsFailed: 0, IngestLag: 1500 });
        expect(directive.Metrics.find((m: { Name: string }) => m.Name === "IngestLag").Unit).to.equal("Milliseconds");
    });

    it("logs an invocation with records left for redelivery as a warning, with the errors met", () => {
        const observe = powertoolsObserver();
        const output = captureOutput(() =>
            observe({
                received: 100,
                userRecords: 100,
                objects: 200,
                stored: 97,
                rejected: 2,
                failed: 1,
                durationMs: 42,
                errors: { AccessDenied: "Access Denied" },
            }),
        );
        const [log] = output.filter(line => line.message === "batch processed");
        expect(log).to.deep.include({ level: "WARN", failed: 1, errors: { AccessDenied: "Access Denied" } });
        expect(output.find(line => line._aws)).to.include({ RecordsFailed: 1 });
    });

    describe("its metrics' dimensions", () => {
        const saved = process.env.AWS_LAMBDA_FUNCTION_NAME;
        afterEach(() => {
            if (saved === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
            else process.env.AWS_LAMBDA_FUNCTION_NAME = saved;
        });
        const emfOf = () =>
            captureOutput(() =>
                powertoolsObserver()({
                    received: 1,
                    userRecords: 1,
                    objects: 2,
                    stored: 1,
                    rejected: 0,
                    failed: 0,
                    durationMs: 1,
                }),
            ).find(line => line._aws)!;

        it("name the function Lambda runs them in, so that two stacks in one account and region are told apart", () => {
            process.env.AWS_LAMBDA_FUNCTION_NAME = "processor-fn-1a2b3c";
            const emf = emfOf();
            expect(emf._aws.CloudWatchMetrics[0].Dimensions).to.deep.equal([["service", "FunctionName"]]);
            expect(emf).to.include({ service: "stock-processor", FunctionName: "processor-fn-1a2b3c" });
        });

        it("are the service alone where no function name is set (a test, a local host)", () => {
            delete process.env.AWS_LAMBDA_FUNCTION_NAME;
            const emf = emfOf();
            expect(emf._aws.CloudWatchMetrics[0].Dimensions).to.deep.equal([["service"]]);
            expect(emf).to.not.have.property("FunctionName");
        });
    });

    it("publishes no ingest lag for an empty batch, which says nothing about lag", () => {
        const output = captureOutput(() =>
            powertoolsObserver()({
                received: 0,
                userRecords: 0,
                objects: 0,
                stored: 0,
                rejected: 0,
                failed: 0,
                durationMs: 1,
            }),
        );
        const emf = output.find(line => line._aws);
        expect(emf).to.not.have.property("IngestLag");
    });
});
