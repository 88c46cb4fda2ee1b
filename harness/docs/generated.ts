/**
 * The parts of docs/production.md and docs/security.md that are generated from the code, so that
 * the pages cannot say another thing than it does: what each setting replaces, the prod stack's
 * monthly bill, the CI roles' trust policies and permissions, and the Security Hub control table.
 * Each sits between markers on its page:
 *
 *     <!-- generated: NAME (npm run config-docs) -->
 *     …
 *     <!-- end: NAME -->
 *
 * `npm run config-docs` rewrites them; a test compares each page with what it would write.
 */
import * as path from "path";
import { parseStackConfig, SETTINGS } from "../../pipeline/infra/config";
import { formatBill, monthlyBill } from "../cost/bill";
import {
    ciTrustPolicy,
    deployRolePolicy,
    previewRolePolicy,
    roleTarget,
    RoleTarget,
    statementReasons,
} from "../pulumi/permissions";
import { ProgramRun, runProgramAsStack } from "../pulumi/program-under-mocks";
import { readStackConfig, stackFile } from "../pulumi/stack-files";
import { controlTable } from "./security-controls";

const ROOT = path.resolve(__dirname, "..", "..");
export const PRODUCTION_PAGE = "docs/production.md";
export const SECURITY_PAGE = "docs/security.md";
/** The repository the trust policies name: replace with yours. */
const REPOSITORY = "OWNER/stock-market-pipeline";
/** The rate the page's example bill is at. */
export const EXAMPLE_RATE = 1000;

const fence = (language: string, text: string) => "```" + language + "\n" + text + "\n```";

/** What each setting that replaces a resource replaces when changed, and so loses. */
function replacementTable(): string {
    const rows = Object.entries(SETTINGS)
        .filter(([, setting]) => setting.replaces)
        .map(([key, setting]) => `| \`${key}\` | ${setting.replaces!.replace(/\|/g, "\\|")} |`);
    return ["| key | a change replaces (and loses) |", "| --- | --- |", ...rows].join("\n");
}

/** The prod stack as the CLI would hand it over, run under mocks. */
async function prodStack(): Promise<{ run: ProgramRun; target: RoleTarget; config: Record<string, string> }> {
    const { config } = readStackConfig(ROOT, stackFile(ROOT, "prod"));
    const run = await runProgramAsStack(config, "prod");
    const settings = parseStackConfig(config);
    const target = roleTarget(settings, config["aws:region"]);
    return { run, target, config };
}

/** Every generated block, by page and name. */
export async function generatedBlocks(): Promise<Record<string, Record<string, string>>> {
    const { run, target, config } = await prodStack();
    const bill = monthlyBill({
        settings: parseStackConfig(config),
        resourceTypes: run.resources.map(r => r.type),
        rate: EXAMPLE_RATE,
        badRatio: 0.01,
        daysKept: 365,
        shards: 1,
    });
    const reasons = [
        "| Sid | why |",
        "| --- | --- |",
        ...statementReasons().map(([sid, why]) => `| \`${sid}\` | ${why} |`),
    ];
    return {
        [PRODUCTION_PAGE]: {
            "settings-that-replace": replacementTable(),
            "prod-bill": fence(
                "",
                [
                    `$ npm run plan -- --stack prod --rate ${EXAMPLE_RATE} --bad-ratio 0.01 --days-kept 365`,
                    ...formatBill("prod", bill),
                ].join("\n"),
            ),
            "deploy-trust-policy": fence("json", ciTrustPolicy("deploy", target.account, REPOSITORY)),
            "preview-trust-policy": fence("json", ciTrustPolicy("preview", target.account, REPOSITORY)),
            "deploy-role-policy": fence("json", deployRolePolicy(run, target)),
            "preview-role-policy": fence("json", previewRolePolicy(run, target)),
            "role-statements": reasons.join("\n"),
        },
        [SECURITY_PAGE]: { controls: controlTable() },
    };
}

const START = (name: string) => `<!-- generated: ${name} (npm run config-docs) -->`;
const END = (name: string) => `<!-- end: ${name} -->`;

/** The page with each of its generated blocks rewritten; throws naming a block the page lacks. */
export function fillBlocks(file: string, page: string, blocks: Record<string, string>): string {
    let text = page;
    for (const [name, content] of Object.entries(blocks)) {
        const start = text.indexOf(START(name));
        const end = text.indexOf(END(name));
        if (start < 0 || end < start)
            throw new Error(`${file} has no block ${name}: add ${START(name)} … ${END(name)}`);
        text = `${text.slice(0, start)}${START(name)}\n${content}\n${text.slice(end)}`;
    }
    return text;
}
