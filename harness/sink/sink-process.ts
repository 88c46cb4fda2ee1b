/**
 * The sink (harness/sink/sink-server.ts) in a Node.js process of its own, so that answering,
 * waiting out the latency and checking signatures cost the measured process nothing, as S3's and
 * DynamoDB's work costs a Lambda nothing. `startSinkProcess()` forks it and talks to it over IPC.
 */
import { ChildProcess, fork } from "child_process";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION } from "../aws/emulators";
import type { SigningExpectations, SinkService } from "./request-check";
import { startSink, SinkOptions, SinkStats } from "./sink-server";

export interface SinkProcessOptions {
    /** Per-request latency of each service, ms (0 by default). */
    latencyMs?: Partial<Record<SinkService, number>>;
    /** What requests must be signed with: the emulators' credentials and region by default. */
    signing?: Partial<SigningExpectations>;
}

export interface SinkProcess {
    endpoints: Record<SinkService, string>;
    /** Counts since the sink started, and the sink process's CPU so far. */
    stats(): Promise<SinkStats>;
    close(): Promise<void>;
}

type Reply = { id: number; stats: SinkStats };

export async function startSinkProcess(options: SinkProcessOptions = {}): Promise<SinkProcess> {
    const sinkOptions: SinkOptions = {
        latencyMs: options.latencyMs,
        signing: { ...EMULATOR_CREDENTIALS, region: EMULATOR_REGION, ...options.signing },
    };
    const child = fork(__filename, [JSON.stringify(sinkOptions)], {
        execArgv: ["-r", "ts-node/register/transpile-only"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const endpoints = await new Promise<SinkProcess["endpoints"]>((resolve, reject) => {
        child.once("exit", code => reject(new Error(`the sink process exited (${code}) before it was ready`)));
        child.once("message", message => resolve(message as SinkProcess["endpoints"]));
    });
    const waiting = new Map<number, (stats: SinkStats) => void>();
    child.on("message", (reply: Reply) => {
        waiting.get(reply.id)?.(reply.stats);
        waiting.delete(reply.id);
    });
    let nextId = 1;
    return {
        endpoints,
        stats: () =>
            new Promise((resolve, reject) => {
                const id = nextId++;
                waiting.set(id, resolve);
                child.send({ id }, error => error && reject(new Error(`the sink process is gone: ${error.message}`)));
            }),
        close: () => stop(child),
    };
}

function stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || !child.connected) return Promise.resolve();
    return new Promise(done => {
        child.once("exit", () => done());
        child.disconnect(); // the child closes its servers and exits
    });
}

async function serve(options: SinkOptions): Promise<void> {
    const sink = await startSink(options);
    process.on("message", ({ id }: { id: number }) => process.send!({ id, stats: sink.stats() }));
    process.once("disconnect", async () => {
        await sink.close();
        process.exit(0);
    });
    process.send!(sink.endpoints);
}

if (require.main === module) {
    serve(JSON.parse(process.argv[2])).catch(error => {
        console.error(error);
        process.exit(1);
    });
}
