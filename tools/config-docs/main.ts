/** `npm run config-docs`: see command.ts. */
import { runCommand } from "../../harness/cli/cli";
import { configDocsCommand } from "./command";

runCommand(configDocsCommand);
