/** `npm run config-docs`: writes docs/config.md from the settings table (see harness/docs/config-reference.ts). */
import * as fs from "fs";
import * as path from "path";
import { Command, parseFlags, runCommand } from "../../harness/cli/cli";
import { CONFIG_REFERENCE_FILE, configReference } from "../../harness/docs/config-reference";

const HELP = `Usage: npm run config-docs

Writes ${CONFIG_REFERENCE_FILE}, the config reference, from pipeline/infra/config/settings.ts.
Run it after adding or changing a setting; npm test fails while the page and the code disagree.

  -h, --help   this text`;

const ROOT = path.resolve(__dirname, "..", "..");

const command: Command = {
    name: "npm run config-docs",
    help: HELP,
    run: async argv => {
        parseFlags(argv, {});
        const file = path.join(ROOT, CONFIG_REFERENCE_FILE);
        const text = configReference();
        const unchanged = fs.existsSync(file) && fs.readFileSync(file, "utf8") === text;
        if (!unchanged) fs.writeFileSync(file, text);
        console.log(`${CONFIG_REFERENCE_FILE}: ${unchanged ? "already up to date" : "written"}`);
        return 0;
    },
};

runCommand(command);
