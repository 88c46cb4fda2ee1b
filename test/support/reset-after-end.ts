/**
 * A server that resets a connection it has just ended, as the fault proxy may when the client gives
 * a request up (its side ends) while a reset is due: the process must still exit on its own.
 * Argument `raw` resets with Node's resetAndDestroy directly, to show the exit that never comes.
 */
import * as net from "net";
import { resetConnection } from "../../harness/aws/fault-proxy";

const raw = process.argv[2] === "raw";
const server = net.createServer(socket => {
    socket.on("error", () => undefined);
    socket.end();
    queueMicrotask(() => {
        if (raw) socket.resetAndDestroy();
        else resetConnection(socket);
        server.close();
    });
});
server.listen(0, "127.0.0.1", () => {
    const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
    client.on("error", () => undefined);
});
process.on("exit", () => console.log("exiting"));
