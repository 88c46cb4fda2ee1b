/**
 * `npm run config-docs`: writes what the docs generate from the code: docs/config.md from the
 * settings table (harness/docs/config-reference.ts), and the generated blocks of
 * docs/production.md and docs/security.md (harness/docs/generated.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { Command, parseFlags } from "../../harness/cli/cli";
import { CONFIG_REFERENCE_FILE, configReference } from "../../harness/docs/config-reference";
import { fillBlocks, generatedBlocks } from "../../harness/docs/generated";

const HELP = `Usage: npm run config-docs

Writes ${CONFIG_REFERENCE_FILE}, the config reference, from pipeline/infra/config/settings.ts, and
the generated parts of docs/production.md and docs/security.md (what a setting replaces, the prod
stack's bill, the CI roles' policies, the Security Hub control table) from the code they describe.
Run it after changing a setting, a resource or a price; npm test fails while a page and the code
disagree.

  -h, --help   this text`;

const ROOT = path.resolve(__dirname, "..", "..");

/** Writes `text` to the file when it differs; says which. */
function write(file: string, text: string): void {
    const full = path.join(ROOT, file);
    const unchanged = fs.existsSync(full) && fs.readFileSync(full, "utf8") === text;
    if (!unchanged) fs.writeFileSync(full, text);
    console.log(`${file}: ${unchanged ? "already up to date" : "written"}`);
}

/** The command; main.ts runs it. */
export const configDocsCommand: Command = {
    name: "npm run config-docs",
    help: HELP,
    run: async argv => {
        parseFlags(argv, {});
        write(CONFIG_REFERENCE_FILE, configReference());
        for (const [file, blocks] of Object.entries(await generatedBlocks()))
            write(file, fillBlocks(file, fs.readFileSync(path.join(ROOT, file), "utf8"), blocks));
        return 0;
    },
};
