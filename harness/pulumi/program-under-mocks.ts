import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

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
    /** The one resource of a type (whose name starts with `namePrefix`, e.g. a component's); fails when there is not exactly one. */
    one(type: string, namePrefix?: string): DeclaredResource;
    all(type: string, namePrefix?: string): DeclaredResource[];
}

const PROJECT = "stock-market-pipeline";
const REGION = "us-east-1";
const PROGRAM = path.resolve(__dirname, "../../index.ts");

/** ARNs in the formats AWS gives each resource type, so that policies are checked against real shapes. */
const ARN_FORMATS: Record<string, (name: string) => string> = {
    "aws:dynamodb/table:Table": name => `arn:aws:dynamodb:us-east-1:123456789012:table/${name}`,
    "aws:s3/bucket:Bucket": name => `arn:aws:s3:::${name}`,
    "aws:cloudwatch/logGroup:LogGroup": name => `arn:aws:logs:us-east-1:123456789012:log-group:${name}`,
    "aws:sqs/queue:Queue": name => `arn:aws:sqs:us-east-1:123456789012:${name}`,
    "aws:iam/role:Role": name => `arn:aws:iam::123456789012:role/${name}`,
    "aws:lambda/function:Function": name => `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    "aws:sns/topic:Topic": name => `arn:aws:sns:us-east-1:123456789012:${name}`,
};

/** The physical name the mocks give a resource: its configured name, or Pulumi-style auto-naming. */
export function fakeName(type: string, name: string, inputs: Record<string, any>): string {
    const configured = type === "aws:s3/bucket:Bucket" ? inputs.bucket : inputs.name;
    return configured ?? (inputs.namePrefix ? `${inputs.namePrefix}abc123` : `${name}-abc123`);
}

/** The ARN the mocks give a declared resource. */
export function fakeArn(resource: Pick<DeclaredResource, "type" | "name" | "inputs">): string {
    const format =
        ARN_FORMATS[resource.type] ??
        (name => `arn:aws:${resource.type.split(":")[1].split("/")[0]}:us-east-1:123456789012:${name}`);
    return format(fakeName(resource.type, resource.name, resource.inputs));
}

/** What a data source returns under mocks: the stack's region for getRegion, else the inputs. */
function fakeCall(token: string, inputs: Record<string, any>): Record<string, any> {
    if (token === "aws:index/getRegion:getRegion") return { ...inputs, region: REGION, name: REGION };
    return inputs;
}

/** Outputs a real provider would report, derived from the inputs so that wiring can be checked. */
function fakeState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    const physicalName = fakeName(type, name, inputs);
    const state: Record<string, any> = { ...inputs, name: physicalName, arn: fakeArn({ type, name, inputs }) };
    if (type === "aws:s3/bucket:Bucket") state.bucket = physicalName;
    if (type === "aws:sqs/queue:Queue") state.url = `https://sqs.us-east-1.amazonaws.com/123456789012/${physicalName}`;
    return state;
}

/** `key` means the project's key; `namespace:key` (aws:region) is taken as it is. */
function qualified(config: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [k.includes(":") ? k : `${PROJECT}:${k}`, v]));
}

/** index.ts, run afresh: it runs when it is first imported, so forget the previous run's copy. */
function loadProgram(): Record<string, unknown> {
    delete require.cache[PROGRAM];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(PROGRAM) as Record<string, unknown>;
}

/**
 * Runs index.ts under Pulumi mocks with the given stack config (keys without the project
 * prefix, or namespaced like `aws:region`, which defaults to us-east-1) and returns every
 * resource it declared and its stack outputs.
 */
export function runProgram(config: Record<string, string>): Promise<ProgramRun> {
    return runUnderMocks(loadProgram, { "aws:region": "us-east-1", ...config });
}

/**
 * Runs index.ts as the given stack with exactly this config (`namespace:key` to string, as
 * Pulumi hands it to a program): nothing is added, so a missing aws:region stays missing.
 */
export function runProgramAsStack(config: Record<string, string>, stack: string): Promise<ProgramRun> {
    return runUnderMocks(loadProgram, config, stack);
}

/**
 * Runs any Pulumi program under mocks, inside a stack as the Pulumi CLI runs it: `program`
 * declares resources and returns its outputs, as an inline program of the Automation API would.
 * For components used outside index.ts too.
 */
export async function runUnderMocks(
    program: () => Record<string, unknown>,
    config: Record<string, string> = {},
    stack = "test",
): Promise<ProgramRun> {
    const resources: DeclaredResource[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource: args => {
                resources.push({ type: args.type, name: args.name, inputs: args.inputs, options: {} });
                return { id: `${args.name}-id`, state: fakeState(args.type, args.name, args.inputs) };
            },
            call: args => fakeCall(args.token, args.inputs),
        },
        PROJECT,
        stack,
        false,
    );
    pulumi.runtime.setAllConfig(qualified(config));

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
            return program();
        } catch (error) {
            failure = { error };
            return {};
        }
    });
    // Children registered after the outputs resolved (alarms, policies) still count.
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
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
    return { resources, outputs: (exported ?? {}) as Record<string, unknown>, one, all };
}

export const STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/stock-market-stream";
