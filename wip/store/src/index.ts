/** @packageDocumentation Lars route and call-status database: the C++ Lars schema on SQLite (embedded default) or MySQL/MariaDB, one Kysely query layer. */
export const PACKAGE_NAME = "@lars/store";
