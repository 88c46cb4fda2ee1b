/**
 * Unit tests run with no network, no emulator and no child process: this root hook plugin makes
 * any attempt to listen, connect or spawn throw, so a test that needs I/O must live in
 * test/integration instead.
 */
// The modules themselves, not ES namespace copies: patching must reach every caller.
import childProcess from "child_process";
import net from "net";

function forbid(what: string): never {
    throw new Error(`unit tests must not ${what}: move this test to test/integration`);
}

export const mochaHooks = {
    beforeAll(): void {
        net.Server.prototype.listen = () => forbid("open a listening socket");
        net.Socket.prototype.connect = () => forbid("open a network connection");
        for (const name of ["spawn", "fork", "exec", "execFile", "spawnSync", "execSync", "execFileSync"] as const) {
            (childProcess as Record<string, unknown>)[name] = () => forbid(`start a child process (${name})`);
        }
    },
};
