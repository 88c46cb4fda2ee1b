import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { packageIsStale } from "../support/package";

describe("the tests' check that dist/processor must be built again", () => {
    let root: string;
    const HOUR = 3600;
    /** Writes a file under the fake project, dated `ageSeconds` ago. */
    const write = (file: string, ageSeconds: number) => {
        const full = path.join(root, file);
        fs.mkdirSync(path.dirname(full), { recursive: true });
        fs.writeFileSync(full, "x");
        const when = Date.now() / 1000 - ageSeconds;
        fs.utimesSync(full, when, when);
    };

    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "package-freshness-"));
        write("pipeline/runtime/handler.ts", 3 * HOUR);
        write("package-lock.json", 3 * HOUR);
        write("node_modules/.package-lock.json", 3 * HOUR);
        write("dist/processor/__index.js", 2 * HOUR);
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("is false when the package is newer than everything it is built from", () => {
        expect(packageIsStale(root)).to.equal(false);
    });

    it("is true when there is no package", () => {
        fs.rmSync(path.join(root, "dist"), { recursive: true });
        expect(packageIsStale(root)).to.equal(true);
    });

    const sources = [
        "pipeline/runtime/handler.ts",
        "package-lock.json",
        "node_modules/.package-lock.json",
        "harness/lambda/package.ts",
        "harness/pulumi/program-under-mocks.ts",
    ];
    for (const source of sources) {
        it(`is true when ${source} changed after the build`, () => {
            write(source, HOUR);
            expect(packageIsStale(root)).to.equal(true);
        });
    }
});
