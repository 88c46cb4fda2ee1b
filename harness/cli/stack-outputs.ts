/**
 * A stack's outputs for the commands that operate a deployed stack (`npm run verify`,
 * `npm run replay`): the JSON `pulumi stack output --json` prints, from a file or standard input.
 */
import * as fs from "fs";
import { UsageError, UserError } from "./cli";

/** The outputs index.ts exports; any of them may be absent from a given file. */
export interface StackOutputs {
    streamArn?: string;
    tableName?: string;
    tableArn?: string;
    bucketName?: string;
    functionName?: string;
    functionArn?: string;
    failureQueueUrl?: string;
    alarmTopicArn?: string;
}

function readAll(source: string, stdin: NodeJS.ReadableStream): Promise<string> {
    if (source !== "-") {
        try {
            return Promise.resolve(fs.readFileSync(source, "utf8"));
        } catch (error) {
            throw new UserError(`--stack-outputs: cannot read ${source}: ${(error as Error).message}`);
        }
    }
    return new Promise((resolve, reject) => {
        let text = "";
        stdin.setEncoding("utf8");
        stdin.on("data", chunk => (text += chunk));
        stdin.on("end", () => resolve(text));
        stdin.on("error", reject);
    });
}

/** Parses the JSON of `pulumi stack output --json`: an object of output names to values. */
export function parseStackOutputs(text: string, source = "the stack outputs"): StackOutputs {
    let outputs: unknown;
    try {
        outputs = JSON.parse(text);
    } catch {
        throw new UserError(`${source} is not JSON: expected what \`pulumi stack output --json\` prints`);
    }
    if (!outputs || typeof outputs !== "object" || Array.isArray(outputs))
        throw new UserError(`${source} is not a JSON object: expected what \`pulumi stack output --json\` prints`);
    const result: Record<string, string> = {};
    for (const [name, value] of Object.entries(outputs as Record<string, unknown>)) {
        if (typeof value === "string" && value !== "[secret]") result[name] = value;
    }
    return result;
}

/** Reads `--stack-outputs FILE` (or `-` for standard input); no flag, no outputs. */
export async function readStackOutputs(
    source: string | undefined,
    stdin: NodeJS.ReadableStream = process.stdin,
): Promise<StackOutputs> {
    if (source === undefined) return {};
    if (source === "") throw new UsageError("--stack-outputs: expected a file, or - for standard input");
    return parseStackOutputs(await readAll(source, stdin), source === "-" ? "standard input" : source);
}
