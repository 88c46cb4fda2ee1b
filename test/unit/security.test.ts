// docs/security.md's controls, checked on the resources the prod stack declares.
import { expect } from "chai";
import { CONTROLS } from "../../harness/docs/security-controls";
import { ProgramRun, runProgramAsStack } from "../../harness/pulumi/program-under-mocks";
import { readStackConfig, stackFile } from "../../harness/pulumi/stack-files";

const ROOT = `${__dirname}/../..`;

describe("the Security Hub controls docs/security.md lists", () => {
    let config: Record<string, string>;
    let prod: ProgramRun;
    before(async () => {
        config = readStackConfig(ROOT, stackFile(ROOT, "prod")).config;
        prod = await runProgramAsStack(config, "prod");
    });

    it("each say met, met with a setting, left to the account or not met by design, with how", () => {
        for (const control of CONTROLS) {
            expect(control.how, control.id).to.have.length.above(10);
            const checked = control.status === "met" || control.status === "met with a setting";
            expect(Boolean(control.check), `${control.id}: a met control is checked`).to.equal(checked);
            expect(Boolean(control.without), `${control.id}: a setting's control says which`).to.equal(
                control.status === "met with a setting",
            );
        }
    });

    for (const control of CONTROLS.filter(c => c.check)) {
        it(`${control.id} holds on the prod stack`, () => {
            expect(control.check!(prod)).to.equal(true);
        });

        if (control.without)
            it(`${control.id} fails without ${Object.keys(control.without).join(", ")}`, async () => {
                const without = Object.fromEntries(
                    Object.entries(control.without!).map(([key, value]) => [`stock-market-pipeline:${key}`, value]),
                );
                const run = await runProgramAsStack({ ...config, ...without }, "prod");
                expect(control.check!(run)).to.equal(false);
            });
    }
});
