/** @packageDocumentation The Lars DNS service: routes from the database, pushed to subscribers. */
export const PACKAGE_NAME = "@lars/dns";
