/** @packageDocumentation The lars command: lars up (the whole system in one command), lars route, lars dns|reporter|agent. */
export const PACKAGE_NAME = "@lars/cli";
