/** `npm run plan`: see command.ts. */
import { runCommand } from "../../harness/cli/cli";
import { planCommand } from "./command";

runCommand(planCommand);
