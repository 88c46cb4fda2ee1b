/** `npm run query`: see command.ts. */
import { AthenaClient } from "@aws-sdk/client-athena";
import { runCommand } from "../../harness/cli/cli";
import { queryCommand } from "./command";

// Ctrl-C stops reading objects, or stops the query on Athena too; a second one leaves at once.
const controller = new AbortController();
process.on("SIGINT", () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
});

runCommand(
    queryCommand({
        athenaClient: () => new AthenaClient({}),
        print: text => console.log(text),
        note: line => console.error(line),
        signal: controller.signal,
    }),
);
