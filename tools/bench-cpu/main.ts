/** `npm run bench:cpu`: see command.ts. */
import { runCommand } from "../../harness/cli/cli";
import { benchCpuCommand } from "./command";

runCommand(benchCpuCommand);
