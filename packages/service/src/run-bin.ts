import { LarsError, isLarsError } from "@lars/iobuf";

/** Bad command-line usage: {@link runBin} prints it with the usage hint and exits 2. Code `LARS_USAGE`. */
export class BinUsageError extends LarsError {
  override readonly name = "BinUsageError";
  constructor(message: string) {
    super("LARS_USAGE", message);
  }
}

/** Options of {@link runBin}. */
export interface RunBinOptions {
  /** The program's name, first on every error line (`lars-dns: ...`). */
  readonly name: string;
  /** How the process ends; tests replace it. Default `process.exit`. */
  readonly exit?: (code: number) => void;
  /** Where the error line goes. Default stderr. */
  readonly writeError?: (line: string) => void;
}

/**
 * Runs a binary's `main`. A {@link BinUsageError} (or a Node `parseArgs`
 * error) prints one line and `--help` hint, exit 2; any other error prints one
 * line (with its code), exit 1. A `main` that resolves leaves the process to
 * end by itself (servers keep it alive until their stop).
 */
export function runBin(main: () => Promise<void>, options: RunBinOptions): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const writeError = options.writeError ?? ((line: string) => process.stderr.write(`${line}\n`));
  // new Promise(...) also catches a main that throws before its first await.
  new Promise<void>((resolve) => resolve(main())).catch((err: unknown) => {
    if (err instanceof BinUsageError || isParseArgsError(err)) {
      writeError(`${options.name}: ${(err as Error).message} (see ${options.name} --help)`);
      exit(2);
      return;
    }
    const code = isLarsError(err) ? ` [${err.code}]` : "";
    writeError(`${options.name}: ${err instanceof Error ? err.message : String(err)}${code}`);
    exit(1);
  });
}

function isParseArgsError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}
