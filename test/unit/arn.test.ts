import { expect } from "chai";
import { arnParts, streamNameOf } from "../../pipeline/arn";

describe("an ARN's parts (arnParts)", () => {
    it("reads partition, service, region, account and the resource, colons and all", () => {
        expect(arnParts("arn:aws-cn:lambda:cn-north-1:111122223333:function:processor:live")).to.deep.equal({
            partition: "aws-cn",
            service: "lambda",
            region: "cn-north-1",
            account: "111122223333",
            resource: "function:processor:live",
        });
    });

    it("gives a stream's name without its stream/ prefix", () => {
        expect(streamNameOf("arn:aws:kinesis:us-east-1:111122223333:stream/stock-market-stream")).to.equal(
            "stock-market-stream",
        );
    });
});
