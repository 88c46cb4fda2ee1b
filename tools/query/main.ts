/** `npm run query`: see command.ts. */
import { runCommand } from "../../harness/cli/cli";
import { consoleQueryIo, queryCommand } from "./command";

runCommand(queryCommand(consoleQueryIo()));
