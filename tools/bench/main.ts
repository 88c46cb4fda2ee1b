/** `npm run bench`: see command.ts. */
import { runCommand } from "../../harness/cli/cli";
import { benchCommand } from "./command";

runCommand(benchCommand);
