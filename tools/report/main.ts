/** `npm run report`: see command.ts. */
import { runCommand } from "../../harness/cli/cli";
import { reportCommand } from "./command";

runCommand(reportCommand);
