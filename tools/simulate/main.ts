/** `npm run simulate`: see command.ts. */
import { runCommand } from "../../harness/cli/cli";
import { simulateCommand } from "./command";

runCommand(simulateCommand);
