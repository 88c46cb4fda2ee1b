/** `npm run clean`: see command.ts. */
import { runCommand } from "../../harness/cli/cli";
import { cleanCommand } from "./command";

runCommand(cleanCommand);
