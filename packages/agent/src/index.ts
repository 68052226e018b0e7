/** @packageDocumentation The Lars load-balance agent: UDP for callers, routes from DNS, reports to the reporter. */
export const PACKAGE_NAME = "@lars/agent";
