/**
 * The config keys the AWS provider takes (`aws:region`, `aws:profile`, …), read from the
 * installed @pulumi/aws rather than kept by hand: its config module has one getter per key of the
 * provider's schema, so upgrading the provider brings its new keys along.
 */
import * as awsConfigVars from "@pulumi/aws/config/vars";

/** Every key the installed AWS provider takes in the `aws:` namespace. */
export function awsConfigKeys(): string[] {
    // The namespace object esModuleInterop builds adds `default`, which is no key.
    return Object.keys(awsConfigVars).filter(key => key !== "default");
}
