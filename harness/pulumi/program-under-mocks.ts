import * as path from "path";
import * as pulumi from "@pulumi/pulumi";

/** A resource as the program declared it, with the inputs the engine would receive. */
export interface DeclaredResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

export interface ProgramRun {
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
export function fakeArn(resource: DeclaredResource): string {
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

/**
 * Runs index.ts under Pulumi mocks with the given stack config (keys without the project
 * prefix) and returns every resource it declared and its stack outputs.
 */
export function runProgram(config: Record<string, string>): Promise<ProgramRun> {
    return runUnderMocks(() => {
        // The program runs when it is first imported: forget the previous run's copy.
        delete require.cache[PROGRAM];
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(PROGRAM) as Record<string, unknown>;
    }, config);
}

/**
 * Runs any Pulumi program under mocks: `program` declares resources and returns its outputs, as
 * an inline program of the Automation API would. For components used outside index.ts.
 */
export async function runUnderMocks(
    program: () => Record<string, unknown>,
    config: Record<string, string> = {},
): Promise<ProgramRun> {
    const resources: DeclaredResource[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource: args => {
                resources.push({ type: args.type, name: args.name, inputs: args.inputs });
                return { id: `${args.name}-id`, state: fakeState(args.type, args.name, args.inputs) };
            },
            call: args => fakeCall(args.token, args.inputs),
        },
        PROJECT,
        "test",
        false,
    );
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`${PROJECT}:${k}`, v])));

    const exported = program();
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(exported)) {
        outputs[key] = pulumi.Output.isInstance(value) ? await outputValue(value) : value;
    }
    // Children registered after the outputs resolved (alarms, policies) still count.
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

    const all = (type: string, namePrefix = "") =>
        resources.filter(r => r.type === type && r.name.startsWith(namePrefix));
    const one = (type: string, namePrefix?: string) => {
        const found = all(type, namePrefix);
        if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
        return found[0];
    };
    return { resources, outputs, one, all };
}

/** The value of an Output, as a test wants it (unknown values stay undefined). */
export function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise(resolve =>
        output.apply(value => {
            resolve(value);
            return value;
        }),
    );
}

export const STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/stock-market-stream";
