// Hosts the processor's deployment package the way the Lambda Node.js runtime does: in its own
// process, handler `__index.handler` loaded at start (the init phase) from LAMBDA_TASK_ROOT
// (module path: the package, then NODE_PATH, which holds only the AWS SDK), invoked once per batch
// with a context whose getRemainingTimeInMillis() counts down from the function's timeout.
//
// Driven over IPC by its parent: {id, event, timeoutMs} in, {id, result} or {id, error} out.
// Plain JavaScript on purpose: it must run with nothing but Node.js and the package.
"use strict";
const path = require("path");

const taskRoot = process.env.LAMBDA_TASK_ROOT;
if (!taskRoot || !process.send) {
    console.error("lambda-host: run me with fork(), LAMBDA_TASK_ROOT set to the unpacked package");
    process.exit(2);
}

// Loaded before the first invocation, as the runtime's init phase does: a package that cannot
// load says so once, at start, without an invocation (which would log an empty batch).
let handler;
try {
    handler = require(path.join(taskRoot, "__index.js")).handler;
    if (typeof handler !== "function") throw new TypeError("__index.js exports no function named handler");
} catch (err) {
    process.send({ ready: false, error: { name: err?.name, message: String(err?.message ?? err) } }, () =>
        process.exit(1),
    );
    return;
}

// Started detached (its own process group, so a terminal's Ctrl-C does not reach it), it must
// not outlive its parent: the IPC channel closes when the parent exits, however it exits.
process.on("disconnect", () => process.exit(0));

process.on("message", async ({ id, event, timeoutMs }) => {
    const deadline = Date.now() + timeoutMs;
    const context = {
        awsRequestId: `local-${id}`,
        functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? "processor",
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    try {
        const result = await handler(event, context);
        process.send({ id, result });
    } catch (err) {
        process.send({ id, error: { name: err?.name, message: String(err?.message ?? err) } });
    }
});
process.send({ ready: true });
