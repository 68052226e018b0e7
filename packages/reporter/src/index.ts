/** @packageDocumentation The Lars report service: call results stored in batches, memory bounded. */
export const PACKAGE_NAME = "@lars/reporter";
