/** `npm run produce`: see command.ts. */
import { runCommand } from "../../harness/cli/cli";
import { produceCommand } from "./command";

runCommand(produceCommand);
