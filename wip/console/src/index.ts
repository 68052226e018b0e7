/** @packageDocumentation The Lars web console: routes, live host state, call-status history, service health. */
export const PACKAGE_NAME = "@lars/console";
