import { LarsError } from "@lars/iobuf";

/** The console's options are unusable (no password nor token, a bad port, a bad service entry). Code `LARS_CONSOLE_CONFIG`. */
export class ConsoleConfigError extends LarsError {
  override readonly name = "ConsoleConfigError";
  constructor(message: string) {
    super("LARS_CONSOLE_CONFIG", message);
  }
}
