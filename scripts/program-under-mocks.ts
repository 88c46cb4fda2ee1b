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
    /** The one resource of a type; fails when there is not exactly one. */
    one(type: string): DeclaredResource;
    all(type: string): DeclaredResource[];
}

const PROJECT = "stock-market-pipeline";
const PROGRAM = path.resolve(__dirname, "../index.ts");

/** Outputs a real provider would report, derived from the inputs so that wiring can be checked. */
function fakeState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    const service = type === "aws:cloudwatch/logGroup:LogGroup" ? "logs" : type.split(":")[1].split("/")[0];
    const physicalName = inputs.name ?? (inputs.namePrefix ? `${inputs.namePrefix}abc123` : `${name}-abc123`);
    const state: Record<string, any> = { ...inputs, name: physicalName, arn: `arn:aws:${service}:us-east-1:123456789012:${physicalName}` };
    if (type === "aws:s3/bucket:Bucket") {
        state.bucket = inputs.bucket ?? `${name}-abc123`;
        state.arn = `arn:aws:s3:::${state.bucket}`;
    }
    if (type === "aws:sqs/queue:Queue") state.url = `https://sqs.us-east-1.amazonaws.com/123456789012/${physicalName}`;
    return state;
}

/**
 * Runs index.ts under Pulumi mocks with the given stack config (keys without the project
 * prefix) and returns every resource it declared and its stack outputs.
 */
export async function runProgram(config: Record<string, string>): Promise<ProgramRun> {
    const resources: DeclaredResource[] = [];
    await pulumi.runtime.setMocks({
        newResource: args => {
            resources.push({ type: args.type, name: args.name, inputs: args.inputs });
            return { id: `${args.name}-id`, state: fakeState(args.type, args.name, args.inputs) };
        },
        call: args => args.inputs,
    }, PROJECT, "test", false);
    pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(config).map(([k, v]) => [`${PROJECT}:${k}`, v])));

    // The program runs when it is first imported: forget the previous run's copy.
    delete require.cache[PROGRAM];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = require(PROGRAM) as Record<string, unknown>;
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(program)) {
        outputs[key] = pulumi.Output.isInstance(value) ? await outputValue(value) : value;
    }
    // Children registered after the outputs resolved (alarms, policies) still count.
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();

    const all = (type: string) => resources.filter(r => r.type === type);
    const one = (type: string) => {
        const found = all(type);
        if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
        return found[0];
    };
    return { resources, outputs, one, all };
}

/** The value of an Output, as a test wants it (unknown values stay undefined). */
export function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise(resolve => output.apply(value => { resolve(value); return value; }));
}

export const STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/stock-market-stream";
