// The emulators ship no type declarations; they are used through the small surface in emulators.ts.
declare module "dynalite";
declare module "kinesalite";
declare module "s3rver";
