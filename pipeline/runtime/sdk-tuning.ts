/**
 * The AWS SDK clients the handler uses, built with less CPU per request. A batch of 100 ticks is
 * 200 PutObject and 4 BatchWriteItem requests, and the SDK's per-request work, not our code, is
 * most of the handler's CPU (tools/bench-cpu/main.ts, `npm run bench:cpu`, measures it; the
 * numbers are in the commit that introduced this file). Every tuning keeps the requests signed with SigV4 over the
 * body, with the headers S3 and DynamoDB need (test/integration/sdk-tuning.test.ts checks them).
 *
 * Each tuning can be switched off on its own (createHandlerFromEnvironment's `tuning`). All rely on
 * middleware names and config fields of the SDK that the Lambda runtime provides, not the one in
 * node_modules: a middleware that is not there is simply not removed, so a renamed one costs CPU,
 * never correctness.
 *
 * Serialized into the Lambda by Pulumi: functions and constants only, no classes, no state.
 */
import { DynamoDBClient, DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";

export interface SdkTuning {
    /**
     * One request signer per client instead of one per request. The SDK's signer factory spreads the
     * whole client config (60+ properties) and builds a new signer for every request; our clients
     * stay in one region and use one set of credentials (the signer still asks the client's
     * credential provider for them on every request, so refreshed credentials are used).
     */
    reuseSigner: boolean;
    /**
     * Middlewares that do nothing for our requests but cost an async hop each: the logger's (no
     * logger is configured), S3's bucket-name validation (our bucket name is our stack's), region
     * redirects (off unless followRegionRedirects), bucket endpoints (off unless bucketEndpoint),
     * Expect: 100-continue (only for bodies of 2 MB and more; ours are far smaller) and S3 Express
     * (directory buckets only; ours is a general purpose bucket, which a directory bucket name
     * could not even be). Trade-off: a logger, a 2 MB body or a directory bucket added later would
     * need this off.
     */
    dropNoOpMiddleware: boolean;
    /**
     * The SDK's User-Agent and trace-context headers. Trade-offs: AWS loses the SDK's telemetry,
     * CloudTrail data events show no SDK user agent, and S3/DynamoDB calls do not carry the
     * invocation's X-Amzn-Trace-Id or W3C traceparent (no X-Ray segments for them; the function
     * has no active tracing today). Neither service needs these headers.
     */
    dropTelemetry: boolean;
    /**
     * The retry middleware replaced by a pass-through of the same name (signing is placed relative
     * to it, so it cannot simply go). Only valid with `maxAttempts: 1`, which the handler uses: our
     * own retries know the invocation's deadline. Trade-off: no `amz-sdk-invocation-id` and
     * `amz-sdk-request` headers, and errors carry no `$metadata.attempts`.
     */
    passThroughRetry: boolean;
    /**
     * The resolved client config back in V8's fast-properties mode. The SDK builds it with dozens of
     * Object.assign calls, which leave it a dictionary, then copies it with `{...config}` several
     * times per request (serializer, deserializer, endpoint resolution): about ten times slower from
     * a dictionary. V8 turns an object that serves as a prototype back into fast properties once a
     * property lookup goes through it. Changes no behaviour; if a V8 version stops doing this, only
     * the CPU saving is lost (measure-cpu.ts reports the configs' mode).
     */
    fastConfig: boolean;
}

export const FULL_TUNING: SdkTuning = {
    reuseSigner: true,
    dropNoOpMiddleware: true,
    dropTelemetry: true,
    passThroughRetry: true,
    fastConfig: true,
};
export const NO_TUNING: SdkTuning = {
    reuseSigner: false,
    dropNoOpMiddleware: false,
    dropTelemetry: false,
    passThroughRetry: false,
    fastConfig: false,
};

/** S3 middlewares that do nothing for a PutObject to a general purpose bucket (see `dropNoOpMiddleware`). */
const S3_NO_OP_MIDDLEWARE = [
    "loggerMiddleware",
    "validateBucketNameMiddleware",
    "regionRedirectMiddleware",
    "regionRedirectEndpointMiddleware",
    "bucketEndpointMiddleware",
    "addExpectContinueMiddleware",
    "s3ExpressMiddleware",
];
const DYNAMODB_NO_OP_MIDDLEWARE = ["loggerMiddleware"];
const TELEMETRY_MIDDLEWARE = ["getUserAgentMiddleware", "recursionDetectionMiddleware"];
/** The retry middleware's own placement: an override must match its step and priority. */
const RETRY_PASS_THROUGH = {
    name: "retryMiddleware",
    step: "finalizeRequest",
    priority: "high",
    tags: ["RETRY"],
    override: true,
} as const;
/** Calls after which V8 has given a function feedback (inline caches); a few are enough, more cost nothing. */
const FEEDBACK_WARM_UP_CALLS = 100;

type AuthScheme = { name?: string; signingName?: string; signingRegion?: string };
type SignerFactory = (authScheme?: AuthScheme) => Promise<unknown>;
type TunableClient = S3Client | DynamoDBClient;
/** What we use of a client's middleware stack (the two clients' stacks differ only in their types). */
type Stack = {
    add(middleware: (next: unknown) => unknown, options: typeof RETRY_PASS_THROUGH): void;
    remove(name: string): boolean;
};

export function createS3Client(config: S3ClientConfig, tuning: SdkTuning = FULL_TUNING): S3Client {
    return tune(new S3Client(config), config.maxAttempts, tuning, S3_NO_OP_MIDDLEWARE);
}

export function createDynamoDBClient(config: DynamoDBClientConfig, tuning: SdkTuning = FULL_TUNING): DynamoDBClient {
    return tune(new DynamoDBClient(config), config.maxAttempts, tuning, DYNAMODB_NO_OP_MIDDLEWARE);
}

function tune<T extends TunableClient>(
    client: T,
    maxAttempts: unknown,
    tuning: SdkTuning,
    noOpMiddleware: string[],
): T {
    const stack = client.middlewareStack as unknown as Stack;
    if (tuning.dropNoOpMiddleware) noOpMiddleware.forEach(name => stack.remove(name));
    if (tuning.dropTelemetry) TELEMETRY_MIDDLEWARE.forEach(name => stack.remove(name));
    if (tuning.passThroughRetry) {
        if (maxAttempts !== 1)
            throw new Error(
                `passThroughRetry needs maxAttempts: 1 (got ${String(maxAttempts)}): it replaces the SDK's retries`,
            );
        stack.add(next => next, RETRY_PASS_THROUGH);
    }
    if (tuning.reuseSigner) reuseSigner(client.config as { signer?: unknown });
    // Last: the config must be complete before it is made fast.
    if (tuning.fastConfig) restoreFastProperties(client.config);
    return client;
}

/** Caches the config's signer factory per auth scheme (see `reuseSigner`); a failed creation is retried next time. */
function reuseSigner(config: { signer?: unknown }): void {
    const create = config.signer;
    if (typeof create !== "function") return; // a signer object was configured: already shared
    const signers = new Map<string, Promise<unknown>>();
    const shared: SignerFactory = authScheme => {
        const key = `${authScheme?.name}|${authScheme?.signingName}|${authScheme?.signingRegion}`;
        let signer = signers.get(key);
        if (!signer) {
            signer = (create as SignerFactory)(authScheme);
            signers.set(key, signer);
            signer.catch(() => signers.delete(key));
        }
        return signer;
    };
    config.signer = shared;
}

/** Makes V8 migrate `object` to fast properties by looking a missing property up through an heir (see `fastConfig`). */
function restoreFastProperties(object: object): void {
    const heir = Object.create(object) as Record<string, unknown>;
    const lookUp = (target: Record<string, unknown>) => target.fastPropertiesProbe;
    for (let call = 0; call < FEEDBACK_WARM_UP_CALLS; call++) lookUp(heir);
}
