import * as childProcess from "child_process";
import * as http from "http";
import * as net from "net";
import { expect } from "chai";

describe("the unit suite's isolation", () => {
    it("refuses a listening socket", () => {
        expect(() => http.createServer().listen(0)).to.throw(/must not open a listening socket/);
    });

    it("refuses a network connection", () => {
        expect(() => net.connect(9, "127.0.0.1")).to.throw(/must not open a network connection/);
    });

    it("refuses a child process", () => {
        expect(() => childProcess.spawn("true")).to.throw(/must not start a child process/);
    });
});
