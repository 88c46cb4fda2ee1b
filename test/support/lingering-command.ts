/**
 * A command that leaves a server listening when it is done, as a command whose clean-up missed a
 * handle would: run through runCommand, the process must still end with the command's code.
 */
import * as net from "net";
import { runCommand } from "../../harness/cli/cli";

runCommand({
    name: "lingering",
    help: "Usage: lingering (test fixture)",
    run: async () => {
        await new Promise<void>(resolve => net.createServer().listen(0, "127.0.0.1", resolve));
        console.log("done, with a server still listening");
        return 3;
    },
});
