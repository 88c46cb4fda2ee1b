import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import * as yaml from "js-yaml";

const ROOT = path.join(__dirname, "..", "..");

interface Step {
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
}
interface Job {
    if?: string;
    steps: Step[];
}

const workflow = yaml.load(fs.readFileSync(path.join(ROOT, ".github", "workflows", "pulumi.yml"), "utf8")) as {
    jobs: Record<string, Job>;
};
/** The jobs that assume an AWS role: they need the repository's secrets and its OIDC trust. */
const awsJobs = Object.entries(workflow.jobs).filter(([, job]) =>
    job.steps.some(step => step.uses?.startsWith("aws-actions/configure-aws-credentials")),
);

describe("CI (.github/workflows/pulumi.yml)", () => {
    it("has the preview and up jobs among those that use AWS", () => {
        expect(awsJobs.map(([name]) => name)).to.include.members(["preview", "up"]);
    });

    for (const [name, job] of awsJobs) {
        it(`runs ${name} only once the repository says AWS is set up (PULUMI_DEPLOY)`, () => {
            expect(job.if).to.include("vars.PULUMI_DEPLOY == 'true'");
        });

        it(`takes ${name}'s region from a repository variable, not a constant`, () => {
            const credentials = job.steps.find(step => step.uses?.startsWith("aws-actions/configure-aws-credentials"));
            expect(String(credentials!.with!["aws-region"])).to.match(/\$\{\{\s*vars\.AWS_REGION/);
        });
    }

    it("previews only pull requests from the repository itself: a fork's gets no secrets or OIDC token", () => {
        expect(workflow.jobs.preview.if).to.include(
            "github.event.pull_request.head.repo.full_name == github.repository",
        );
    });

    it("installs Chromium once: npm test does it (so it is self-sufficient), .ci/run does not again", () => {
        const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
        expect(scripts["test:integration"]).to.match(/^npm run -s ensure:chromium && /);
        expect(fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8")).not.to.match(/^[^#]*ensure:chromium/m);
    });
});
