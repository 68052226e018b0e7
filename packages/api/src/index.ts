/** @packageDocumentation The Lars client API: getHost, report, getRoute through the local agent over UDP. */
export const PACKAGE_NAME = "@lars/api";
