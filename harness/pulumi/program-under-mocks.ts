import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { arnParts } from "../../pipeline/arn";

/** A resource as the program declared it, with the inputs the engine would receive. */
export interface DeclaredResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    /** The component it was declared in (its id), or the stack's id for a top-level resource. */
    parent?: string;
    /** The resource options that change what `pulumi up` and `destroy` may do with it. */
    options: { protect?: boolean; retainOnDelete?: boolean };
}

/** How a resource is told apart from the others in a run: `type::name` (unique in one program). */
export const resourceId = (resource: Pick<DeclaredResource, "type" | "name">) => `${resource.type}::${resource.name}`;

export interface ProgramRun {
    /** Every resource in the order the mocks saw them, the stack (`pulumi:pulumi:Stack`) first. */
    resources: DeclaredResource[];
    outputs: Record<string, unknown>;
    /** What the program said with pulumi.log.warn, in order: `pulumi preview` shows the same lines. */
    warnings: string[];
    /** The data sources the program called (aws.kinesis.getStream, …), in order, with their inputs. */
    calls: { token: string; inputs: Record<string, any> }[];
    /** The one resource of a type (whose name starts with `namePrefix`, e.g. a component's); fails when there is not exactly one. */
    one(type: string, namePrefix?: string): DeclaredResource;
    all(type: string, namePrefix?: string): DeclaredResource[];
}

const PROJECT = "stock-market-pipeline";
const REGION = "us-east-1";
/** The account the mocks' resources live in: the documentation's, as the example stacks' ARNs. */
const ACCOUNT = "123456789012";

/** The stream the mocked AWS account has: what aws.kinesis.getStream finds. */
export interface MockStream {
    /** No stream of that name in the account (the lookup fails). */
    missing?: boolean;
    /** Open shards (1 by default). */
    shards?: number;
    onDemand?: boolean;
    /** The stream's key as Kinesis reports it (a key ARN, a key id or an alias); unencrypted without one. */
    kmsKeyId?: string;
    /** What DescribeKey resolves that key to (by default the ARN given, customer managed). */
    key?: { arn: string; keyManager: "AWS" | "CUSTOMER" };
}

/** The AWS the program runs against under mocks, and how it is run. */
export interface MockWorld {
    /** The account of the stack's credentials: by default the configured stream's, or ACCOUNT. */
    account?: string;
    stream?: MockStream;
    /** `pulumi up` rather than `pulumi preview` (the default): what only a deployment refuses is refused. */
    deploying?: boolean;
    /** Receives each resource as the mocks see it, also when the program then fails. */
    seen?: DeclaredResource[];
}
const PROGRAM = path.resolve(__dirname, "../../index.ts");

/** ARNs in the formats AWS gives each resource type, so that policies are checked against real shapes. */
const ARN_FORMATS: Record<string, (name: string) => string> = {
    "aws:dynamodb/table:Table": name => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`,
    "aws:s3/bucket:Bucket": name => `arn:aws:s3:::${name}`,
    "aws:cloudwatch/logGroup:LogGroup": name => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`,
    "aws:sqs/queue:Queue": name => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`,
    "aws:iam/role:Role": name => `arn:aws:iam::${ACCOUNT}:role/${name}`,
    "aws:lambda/function:Function": name => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
    "aws:sns/topic:Topic": name => `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`,
};

/** What the mocks append to a name Pulumi would generate (`<logical>-<random>`). */
export const GENERATED_SUFFIX = "abc123";

/** The physical name the mocks give a resource: its configured name, or Pulumi-style auto-naming. */
export function fakeName(type: string, name: string, inputs: Record<string, any>): string {
    const configured = type === "aws:s3/bucket:Bucket" ? inputs.bucket : inputs.name;
    return (
        configured ?? (inputs.namePrefix ? `${inputs.namePrefix}${GENERATED_SUFFIX}` : `${name}-${GENERATED_SUFFIX}`)
    );
}

/** The id the mocks give the resource of this logical name, which other resources' inputs then hold. */
export const fakeId = (name: string) => `${name}-id`;

/** The resource whose id an input holds (a bucket setting's `bucket`, a role policy's `role`), if declared. */
export function resourceOfId(run: Pick<ProgramRun, "resources">, id: unknown): DeclaredResource | undefined {
    return run.resources.find(resource => fakeId(resource.name) === id);
}

/** The ARN the mocks give a declared resource. */
export function fakeArn(resource: Pick<DeclaredResource, "type" | "name" | "inputs">): string {
    const format =
        ARN_FORMATS[resource.type] ??
        (name => `arn:aws:${resource.type.split(":")[1].split("/")[0]}:${REGION}:${ACCOUNT}:${name}`);
    return format(fakeName(resource.type, resource.name, resource.inputs));
}

/** What a data source returns under mocks: the stack's region, account, stream and its key; else the inputs. */
function fakeCall(token: string, inputs: Record<string, any>, world: MockWorld, region: string): Record<string, any> {
    const account = world.account ?? ACCOUNT;
    switch (token) {
        case "aws:index/getRegion:getRegion":
            return { ...inputs, region, name: region };
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return { accountId: account, arn: `arn:aws:iam::${account}:user/mocks`, userId: "AIDAMOCKS", id: account };
        case "aws:index/getPartition:getPartition":
            return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
        case "aws:kinesis/getStream:getStream":
            return fakeStream(inputs, world.stream ?? {}, account, inputs.region ?? region);
        case "aws:kms/getKey:getKey": {
            const key = world.stream?.key ?? { arn: inputs.keyId, keyManager: "CUSTOMER" };
            return { ...inputs, ...key, id: key.arn };
        }
        default:
            return inputs;
    }
}

/** The stream getStream finds by name in the account, or the provider's error when there is none. */
function fakeStream(inputs: Record<string, any>, stream: MockStream, account: string, region: string) {
    if (stream.missing) {
        // As the engine reports a provider's failed invoke; the SDK reads a gRPC error's details.
        const details =
            `invocation of aws:kinesis/getStream:getStream returned an error: reading Kinesis Stream (${inputs.name}): ` +
            `couldn't find resource\n\nResourceNotFoundException: Stream ${inputs.name} under account ${account} not found.`;
        throw Object.assign(new Error(details), { details });
    }
    const arn = `arn:aws:kinesis:${region}:${account}:stream/${inputs.name}`;
    return {
        arn,
        id: arn,
        name: inputs.name,
        encryptionType: stream.kmsKeyId ? "KMS" : "NONE",
        kmsKeyId: stream.kmsKeyId ?? "",
        openShards: Array.from({ length: stream.shards ?? 1 }, (_, i) => `shardId-${String(i).padStart(12, "0")}`),
        closedShards: [],
        retentionPeriod: 24,
        shardLevelMetrics: [],
        streamModeDetails: [{ streamMode: stream.onDemand ? "ON_DEMAND" : "PROVISIONED" }],
        creationTimestamp: 0,
        tags: {},
    };
}

/** Outputs a real provider would report, derived from the inputs so that wiring can be checked. */
function fakeState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    const physicalName = fakeName(type, name, inputs);
    const state: Record<string, any> = { ...inputs, name: physicalName, arn: fakeArn({ type, name, inputs }) };
    if (type === "aws:s3/bucket:Bucket") state.bucket = physicalName;
    if (type === "aws:sqs/queue:Queue") state.url = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${physicalName}`;
    return state;
}

/** `key` means the project's key; `namespace:key` (aws:region) is taken as it is. */
function qualified(config: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [k.includes(":") ? k : `${PROJECT}:${k}`, v]));
}

type Outputs = Record<string, unknown>;

/**
 * Packing the processor (CallbackFunction) is most of a run under mocks, about 0.4 s of 0.55:
 * serializing its closure, and walking node_modules for the packages it needs. Both give the same
 * answer every time for the same function and options: the program's modules stay loaded between
 * runs (only index.ts is run afresh), no stack setting is captured in the closure (settings reach
 * the function as environment variables), and node_modules does not change during a test run.
 * So each is done once per function and options in a process.
 */
function memoizePacking(): void {
    type Packer = (...args: any[]) => Promise<unknown>;
    const runtime = pulumi.runtime as unknown as Record<string, Packer> & { __memoized?: boolean };
    if (runtime.__memoized) return;
    const key = (args: unknown[]) =>
        JSON.stringify(args, (_, value) => (typeof value === "function" ? String(value) : value));
    const memoize = (name: "serializeFunction" | "computeCodePaths") => {
        const pack = runtime[name];
        const done = new Map<string, { func: unknown; result: Promise<unknown> }[]>();
        runtime[name] = (...args: unknown[]) => {
            // The function itself (by identity), then its options (by value).
            const [first, ...rest] = typeof args[0] === "function" ? args : [undefined, ...args];
            const entries = done.get(key(rest)) ?? [];
            done.set(key(rest), entries);
            let entry = entries.find(candidate => candidate.func === first);
            if (!entry) entries.push((entry = { func: first, result: pack(...args) }));
            return entry.result;
        };
    };
    memoize("serializeFunction");
    memoize("computeCodePaths");
    runtime.__memoized = true;
}
memoizePacking();

/**
 * index.ts, run afresh (forgetting the previous run's copy) as Pulumi runs it: it exports a
 * function, which Pulumi calls and awaits for the stack's outputs.
 */
function loadProgram(): Promise<Outputs> {
    delete require.cache[PROGRAM];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = require(PROGRAM) as () => Promise<Outputs>;
    return program();
}

/**
 * Runs index.ts under Pulumi mocks with the given stack config (keys without the project
 * prefix, or namespaced like `aws:region`, which defaults to us-east-1) and returns every
 * resource it declared and its stack outputs. A preview unless `world.deploying`.
 */
export function runProgram(config: Record<string, string>, world: MockWorld = {}): Promise<ProgramRun> {
    return runUnderMocks(loadProgram, { "aws:region": "us-east-1", ...config }, "test", world);
}

/**
 * Runs index.ts as the given stack with exactly this config (`namespace:key` to string, as
 * Pulumi hands it to a program): nothing is added, so a missing aws:region stays missing.
 */
export function runProgramAsStack(
    config: Record<string, string>,
    stack: string,
    world: MockWorld = {},
): Promise<ProgramRun> {
    return runUnderMocks(loadProgram, config, stack, world);
}

/** The account of the stream the config names, which the mocked credentials are for by default. */
function streamAccount(config: Record<string, string>): string | undefined {
    const streamArn = config[`${PROJECT}:streamArn`];
    return (streamArn && arnParts(streamArn).account) || undefined;
}

/**
 * Runs any Pulumi program under mocks, inside a stack as the Pulumi CLI runs it: `program`
 * declares resources and returns its outputs, as an inline program of the Automation API would.
 * For components used outside index.ts too.
 */
export async function runUnderMocks(
    program: () => Outputs | Promise<Outputs>,
    config: Record<string, string> = {},
    stack = "test",
    world: MockWorld = {},
): Promise<ProgramRun> {
    // Pulumi takes a stack trace for every promise it makes (for its leak report) and ts-node maps
    // each through source maps: five times the rest of a run's work. V8's own traces, for the run.
    const errors = Error as { prepareStackTrace?: unknown };
    const mappedStackTraces = errors.prepareStackTrace;
    errors.prepareStackTrace = undefined;
    try {
        return await runStack(program, config, stack, world);
    } finally {
        errors.prepareStackTrace = mappedStackTraces;
    }
}

async function runStack(
    program: () => Outputs | Promise<Outputs>,
    config: Record<string, string>,
    stack: string,
    world: MockWorld,
): Promise<ProgramRun> {
    const resources: DeclaredResource[] = [];
    const calls: ProgramRun["calls"] = [];
    const namespaced = qualified(config);
    const mockWorld = { ...world, account: world.account ?? streamAccount(namespaced) };
    const region = namespaced["aws:region"] ?? process.env.AWS_REGION ?? REGION;
    await pulumi.runtime.setMocks(
        {
            newResource: args => {
                const resource = { type: args.type, name: args.name, inputs: args.inputs, options: {} };
                resources.push(resource);
                world.seen?.push(resource);
                return { id: fakeId(args.name), state: fakeState(args.type, args.name, args.inputs) };
            },
            call: args => {
                calls.push({ token: args.token, inputs: args.inputs });
                return fakeCall(args.token, args.inputs, mockWorld, region);
            },
        },
        PROJECT,
        stack,
        !world.deploying,
    );
    pulumi.runtime.setAllConfig(namespaced);
    const warnings = captureWarnings();

    // Parents and options do not reach the mocks: a stack transformation sees each resource as declared.
    const declared = new Map<string, { parent?: string; options: DeclaredResource["options"] }>();
    const ids = new Map<pulumi.Resource, string>();
    const stackId = resourceId({ type: "pulumi:pulumi:Stack", name: `${PROJECT}-${stack}` });
    let failure: { error: unknown } | undefined;
    const exported = await pulumi.runtime.runInPulumiStack(async () => {
        pulumi.runtime.registerStackTransformation(args => {
            const id = resourceId(args);
            ids.set(args.resource, id);
            const parent = args.opts.parent ? ids.get(args.opts.parent) : stackId;
            declared.set(id, {
                parent,
                options: { protect: args.opts.protect, retainOnDelete: args.opts.retainOnDelete },
            });
            return undefined;
        });
        // Thrown out of the stack, an error would also reject promises nobody awaits; rethrown below.
        try {
            return await program();
        } catch (error) {
            failure = { error };
            return {};
        }
    });
    // Children registered after the outputs resolved (alarms, policies) still count.
    try {
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    } finally {
        warnings.stop();
    }
    if (failure) throw failure.error;
    for (const resource of resources) Object.assign(resource, declared.get(resourceId(resource)));
    // In the order the program declared them (the mocks see them as their inputs resolve), the stack first.
    const order = [stackId, ...declared.keys()];
    resources.sort((a, b) => order.indexOf(resourceId(a)) - order.indexOf(resourceId(b)));

    const all = (type: string, namePrefix = "") =>
        resources.filter(r => r.type === type && r.name.startsWith(namePrefix));
    const one = (type: string, namePrefix?: string) => {
        const found = all(type, namePrefix);
        if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
        return found[0];
    };
    return { resources, outputs: (exported ?? {}) as Outputs, warnings: warnings.lines, calls, one, all };
}

/**
 * Collects what pulumi.log.warn says while the program runs. Without an engine (as under mocks)
 * Pulumi writes it to the console as `warning: [runtime] MESSAGE`: the lines are kept (without
 * that prefix) instead of printed; anything else written there passes through.
 */
function captureWarnings(): { lines: string[]; stop(): void } {
    const lines: string[] = [];
    const original = console.warn;
    const prefix = "warning: [runtime] ";
    console.warn = (...args: unknown[]) => {
        if (typeof args[0] === "string" && args[0].startsWith(prefix)) lines.push(args[0].slice(prefix.length));
        else original(...args);
    };
    return { lines, stop: () => void (console.warn = original) };
}

export const STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/stock-market-stream";
