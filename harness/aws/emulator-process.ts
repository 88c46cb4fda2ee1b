/**
 * DynamoDB and S3 emulators, each behind a proxy that adds a per-request latency, in a Node.js
 * process of their own: their CPU does not count against the code under measurement (in AWS, the
 * services' work is not the Lambda's). Used by the benchmark; started by startEmulatorProcess().
 */
import { fork } from "child_process";
import { startDynalite, startS3rver } from "./emulators";
import { startFaultProxy } from "./fault-proxy";

export interface EmulatorProcessOptions {
    dynamoLatencyMs: number;
    s3LatencyMs: number;
    /** Where s3rver keeps its files (a temporary folder by default). */
    s3Dir?: string;
}

/** One request as a proxy saw it. */
export interface SeenRequest {
    method: string;
    operation?: string;
}

export interface EmulatorProcess {
    /** The emulators themselves: neither delayed nor counted. */
    direct: { dynamo: string; s3: string };
    /** Behind the latency proxies. */
    proxied: { dynamo: string; s3: string };
    /** Every request the proxies have seen so far, and the CPU the process has used (ms). */
    requests(): Promise<Requests>;
    close(): Promise<void>;
}

type Ready = { direct: EmulatorProcess["direct"]; proxied: EmulatorProcess["proxied"] };
type Requests = { dynamo: SeenRequest[]; s3: SeenRequest[]; cpuMs: number };

/** The CPU-heaviest emulator, s3rver, gets a process of its own; everything else shares another. */
function forkChild(role: "s3rver" | "rest", options: EmulatorProcessOptions & { s3rverEndpoint?: string }) {
    return fork(__filename, [role, JSON.stringify(options)], {
        execArgv: ["-r", "ts-node/register/transpile-only"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
}

function ready<T>(child: ReturnType<typeof fork>): Promise<T> {
    return new Promise((resolve, reject) => {
        child.once("exit", code => reject(new Error(`an emulator process exited (${code}) before it was ready`)));
        child.once("message", message => resolve(message as T));
    });
}

function stop(child: ReturnType<typeof fork>): Promise<void> {
    return new Promise(done => {
        child.once("exit", () => done());
        child.disconnect(); // the child closes its servers and exits
    });
}

export async function startEmulatorProcess(options: EmulatorProcessOptions): Promise<EmulatorProcess> {
    const s3rverChild = forkChild("s3rver", options);
    const { s3rver } = await ready<{ s3rver: string }>(s3rverChild);
    const child = forkChild("rest", { ...options, s3rverEndpoint: s3rver });
    const requests = () =>
        new Promise<Requests>(resolve => {
            child.once("message", message => resolve(message as Requests));
            child.send("requests");
        });
    const endpoints = await ready<Ready>(child);
    return {
        ...endpoints,
        requests,
        close: async () => {
            await stop(child);
            await stop(s3rverChild);
        },
    };
}

async function serveS3rver(options: EmulatorProcessOptions): Promise<void> {
    const s3 = await startS3rver(options.s3Dir);
    process.once("disconnect", async () => {
        await s3.close();
        process.exit(0);
    });
    process.send!({ s3rver: s3.endpoint });
}

async function serve(options: EmulatorProcessOptions & { s3rverEndpoint: string }): Promise<void> {
    const dynamo = await startDynalite();
    const s3 = { endpoint: options.s3rverEndpoint };
    const dynamoProxy = await startFaultProxy({
        target: dynamo.endpoint,
        service: "dynamodb",
        latencyMs: options.dynamoLatencyMs,
    });
    const s3Proxy = await startFaultProxy({ target: s3.endpoint, service: "s3", latencyMs: options.s3LatencyMs });
    const seen = (log: typeof dynamoProxy.log): SeenRequest[] =>
        log.map(({ method, operation }) => ({ method, operation }));
    process.on("message", () => {
        const cpu = process.cpuUsage();
        process.send!({ dynamo: seen(dynamoProxy.log), s3: seen(s3Proxy.log), cpuMs: (cpu.user + cpu.system) / 1000 });
    });
    process.once("disconnect", async () => {
        await Promise.all([dynamoProxy.close(), s3Proxy.close()]);
        await dynamo.close();
        process.exit(0);
    });
    const ready: Ready = {
        direct: { dynamo: dynamo.endpoint, s3: s3.endpoint },
        proxied: { dynamo: dynamoProxy.endpoint, s3: s3Proxy.endpoint },
    };
    process.send!(ready);
}

if (require.main === module) {
    const options = JSON.parse(process.argv[3]);
    (process.argv[2] === "s3rver" ? serveS3rver(options) : serve(options)).catch(error => {
        console.error(error);
        process.exit(1);
    });
}
