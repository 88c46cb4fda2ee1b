/**
 * `npm run plan -- --stack dev`: what the stack would create, without the Pulumi CLI or cloud
 * credentials. Reads Pulumi.yaml (its defaults) and Pulumi.<stack>.yaml as the CLI would, runs
 * index.ts under Pulumi mocks as a preview, and prints the resources as a tree with the
 * program's warnings, or the config's problems; with --rate, the stack's monthly bill; with
 * --permissions, the IAM policy of the role that deploys or previews it.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../../pipeline/infra/config";
import { formatBill, monthlyBill } from "../../harness/cost/bill";
import { ProgramRun, runProgramAsStack } from "../../harness/pulumi/program-under-mocks";
import { deployRolePolicy, previewRolePolicy, roleTarget } from "../../harness/pulumi/permissions";
import { Command, displayPath, numberFlag, parseFlags, UsageError } from "../../harness/cli/cli";
import { readStackConfig, stackFile } from "../../harness/pulumi/stack-files";
import { formatPlan } from "../../harness/pulumi/tree";

const PROJECT_DIR = path.resolve(__dirname, "..", "..");

const HELP = `Usage: npm run plan -- --stack NAME [--config-file FILE] [--shards N]
                     [--rate TICKS_PER_SECOND [--bad-ratio R] [--days-kept D]]
                     [--permissions deploy|preview]

Prints the resources the stack would create, as a tree with the properties that matter (table
keys, the function's runtime, memory and concurrency cap, the stream mapping's settings, the
role's statements, the bucket's versioning and lifecycle, the alarm topic's key and policy), and
what pulumi preview would warn about; or every problem in the stack's config, one line per key
(then exits 1). Runs index.ts under Pulumi mocks as a preview, with Pulumi.yaml's defaults and
Pulumi.NAME.yaml's values: no Pulumi CLI, no cloud credentials, nothing is called (the stream the
stack names is taken to exist, unencrypted, in the account of its ARN). Not a substitute for
pulumi preview, which compares the program with the stack's real state and the provider's checks.

  --stack NAME          the stack whose Pulumi.NAME.yaml to read (e.g. dev)
  --config-file FILE    read this stack file instead (as pulumi preview --config-file)
  --shards N            the stream's open shards (default 1): the concurrency check and how full
                        batches get at a low rate
  --rate N              print the stack's monthly bill at N ticks per second instead of the tree:
                        fixed and per-tick parts apart, storage after --days-kept days, at the
                        list prices of harness/cost/prices.ts
  --bad-ratio R         the share of invalid records, 0 to 1 (default 0)
  --days-kept D         days of ticks the stores hold when the bill is taken (default 30)
  --permissions ROLE    print the IAM policy of the role that deploys (deploy) or previews
                        (preview) this stack, generated from the resources it declares
  -h, --help            this text`;

const OPTIONS = {
    stack: { type: "string" },
    "config-file": { type: "string" },
    shards: { type: "string" },
    rate: { type: "string" },
    "bad-ratio": { type: "string" },
    "days-kept": { type: "string" },
    permissions: { type: "string" },
    help: { type: "boolean", short: "h" },
} as const;

async function main(argv: string[]): Promise<number> {
    const values = parseFlags(argv, OPTIONS);
    const configFile = values["config-file"] as string | undefined;
    const stack = (values.stack as string | undefined) ?? (configFile ? "plan" : undefined);
    if (!stack) throw new UsageError("--stack: which stack? e.g. --stack dev (reads Pulumi.dev.yaml)");
    const shards = values.shards === undefined ? 1 : numberFlag(values, "shards", 1, 100_000, true);
    const rate = values.rate === undefined ? undefined : numberFlag(values, "rate", 0, 10_000_000);
    for (const flag of ["bad-ratio", "days-kept"])
        if (values[flag] !== undefined && rate === undefined)
            throw new UsageError(`--${flag}: only with --rate, which asks for the bill`);
    const badRatio = values["bad-ratio"] === undefined ? 0 : numberFlag(values, "bad-ratio", 0, 1);
    const daysKept = values["days-kept"] === undefined ? 30 : numberFlag(values, "days-kept", 1, 36500, true);
    const permissions = values.permissions as string | undefined;
    if (permissions !== undefined && permissions !== "deploy" && permissions !== "preview")
        throw new UsageError(`--permissions: expected deploy or preview, got "${permissions}"`);
    if (permissions && rate !== undefined) throw new UsageError("--permissions and --rate: give only one of them");
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

    let run: ProgramRun;
    try {
        run = await runProgramAsStack(config, stack, { stream: { shards } });
    } catch (error) {
        // The program's own refusal (a bad config value), printed as pulumi preview prints it.
        if (pulumi.RunError.isInstance(error)) return reportProblems((error as Error).message.split("\n"), source);
        throw error;
    }
    for (const warning of run.warnings) console.error(`warning: ${warning}`);
    const region = config["aws:region"] ?? process.env.AWS_REGION ?? "unset";
    if (permissions) {
        const settings = parseStackConfig(config, undefined, region === "unset" ? undefined : region);
        const target = roleTarget(settings, region);
        console.log(permissions === "deploy" ? deployRolePolicy(run, target) : previewRolePolicy(run, target));
        return 0;
    }
    if (rate !== undefined) {
        const settings = parseStackConfig(config, undefined, region === "unset" ? undefined : region);
        const bill = monthlyBill({
            settings,
            resourceTypes: run.resources.map(r => r.type),
            rate,
            badRatio,
            daysKept,
            shards,
        });
        for (const line of formatBill(stack, bill)) console.log(line);
        return 0;
    }
    console.log(`stack ${stack} (${source}), aws:region ${region}:`);
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

/** The command; main.ts runs it. */
export const planCommand: Command = { name: "npm run plan", help: HELP, run: main };
