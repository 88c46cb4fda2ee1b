/** `npm run ensure:chromium`: see command.ts. */
import { runCommand } from "../../harness/cli/cli";
import { ensureChromiumCommand } from "./command";

runCommand(ensureChromiumCommand);
