/**
 * The parts of an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE), read in one place by the
 * config's checks, the components and the commands. It does not validate: the config's kinds do.
 */
export interface ArnParts {
    partition: string;
    service: string;
    region: string;
    account: string;
    /** The rest, colons included: `stream/NAME`, `key/ID`, `function:NAME:ALIAS`. */
    resource: string;
}

export function arnParts(arn: string): ArnParts {
    const [, partition = "", service = "", region = "", account = "", ...resource] = arn.split(":");
    return { partition, service, region, account, resource: resource.join(":") };
}

/** A Kinesis stream's name, from its ARN (arn:…:kinesis:REGION:ACCOUNT:stream/NAME). */
export function streamNameOf(streamArn: string): string {
    return arnParts(streamArn).resource.replace(/^stream\//, "");
}

/**
 * The account AWS's documentation uses in its examples: an ARN in it was copied from an example,
 * and names nothing of the user's.
 */
export const DOCUMENTATION_ACCOUNT = "123456789012";
