/** `npm run local`: see command.ts. */
import { runCommand } from "../../harness/cli/cli";
import { localCommand } from "./command";

runCommand(localCommand);
