/**
 * `npm run plan -- --stack dev`: what the stack would create, without the Pulumi CLI or cloud
 * credentials. Reads Pulumi.yaml (its defaults) and Pulumi.<stack>.yaml as the CLI would, runs
 * index.ts under Pulumi mocks, and prints the resources as a tree, or the config's problems.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { runProgramAsStack } from "../../harness/pulumi/program-under-mocks";
import { displayPath, parseFlags, runCommand, UsageError } from "../../harness/cli/cli";
import { readStackConfig, stackFile } from "../../harness/pulumi/stack-files";
import { formatPlan } from "../../harness/pulumi/tree";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");

const HELP = `Usage: npm run plan -- --stack NAME [--config-file FILE]

Prints the resources the stack would create, as a tree with the properties that matter (table
keys, the function's runtime and memory, the stream mapping's settings, the role's statements),
or every problem in the stack's config, one line per key (then exits 1). Runs index.ts under
Pulumi mocks with Pulumi.yaml's defaults and Pulumi.NAME.yaml's values: no Pulumi CLI, no cloud
credentials, nothing is called. Not a substitute for pulumi preview, which compares the program
with the stack's real state and the provider's checks.

  --stack NAME         the stack whose Pulumi.NAME.yaml to read (e.g. dev)
  --config-file FILE   read this stack file instead (as pulumi preview --config-file)
  -h, --help           this text`;

const OPTIONS = {
    stack: { type: "string" },
    "config-file": { type: "string" },
    help: { type: "boolean", short: "h" },
} as const;

async function main(argv: string[]): Promise<number> {
    const values = parseFlags(argv, OPTIONS);
    const configFile = values["config-file"] as string | undefined;
    const stack = (values.stack as string | undefined) ?? (configFile ? "plan" : undefined);
    if (!stack) throw new UsageError("--stack: which stack? e.g. --stack dev (reads Pulumi.dev.yaml)");
    // A file that is not there is a mistake in the flag, as a --stack without its file is.
    if (configFile !== undefined && !(fs.existsSync(configFile) && fs.statSync(configFile).isFile()))
        throw new UsageError(`--config-file ${configFile}: no such file`);
    const file = configFile ? path.resolve(configFile) : stackFile(PROJECT_DIR, stack);
    const { config, notes, problems } = readStackConfig(PROJECT_DIR, file);
    const source = `Pulumi.yaml + ${displayPath(file)}`;
    for (const note of notes) console.error(`note: ${note}`);
    if (problems.length > 0) return reportProblems(problems, source);
    if (!config["aws:region"])
        console.error(
            `note: no aws:region in ${path.basename(file)}: the AWS provider takes it from AWS_REGION` +
                `${process.env.AWS_REGION ? ` (${process.env.AWS_REGION})` : " (not set)"}`,
        );

    let run;
    try {
        run = await runProgramAsStack(config, stack);
    } catch (error) {
        // The program's own refusal (a bad config value), printed as pulumi preview prints it.
        if (pulumi.RunError.isInstance(error)) return reportProblems((error as Error).message.split("\n"), source);
        throw error;
    }
    console.log(`stack ${stack} (${source}), aws:region ${config["aws:region"] ?? process.env.AWS_REGION ?? "unset"}:`);
    console.log("");
    for (const line of formatPlan(run)) console.log(line);
    console.log("");
    const created = run.resources.length;
    console.log(`Resources: ${created} to create. Outputs: ${Object.keys(run.outputs).join(", ")}.`);
    console.log(
        "Run under Pulumi mocks: <name.arn> and the like are known once deployed. pulumi preview also compares with the stack's real state.",
    );
    return 0;
}

function reportProblems(problems: string[], source: string): number {
    console.error(`npm run plan: ${source}: ${problems.length} config problem${problems.length === 1 ? "" : "s"}`);
    for (const problem of problems) console.error(problem);
    return 1;
}

runCommand({ name: "npm run plan", help: HELP, run: main });
