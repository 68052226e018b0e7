import { LarsError } from "@lars/iobuf";

/**
 * {@link DnsServer.start} could not read the route database (down,
 * unreachable, bad credentials, bad schema). Code `LARS_DNS_STORE_UNAVAILABLE`;
 * the store's own error is the `cause`.
 */
export class DnsStoreUnavailableError extends LarsError {
  override readonly name = "DnsStoreUnavailableError";
  constructor(cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super("LARS_DNS_STORE_UNAVAILABLE", `cannot load routes from the store: ${detail}`, { cause });
  }
}

/** A route reload failed; the last good table keeps serving. Code `LARS_DNS_RELOAD_FAILED`; the store's error is the `cause`. */
export class DnsReloadError extends LarsError {
  override readonly name = "DnsReloadError";
  constructor(cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super("LARS_DNS_RELOAD_FAILED", `route reload failed, serving the last good table: ${detail}`, { cause });
  }
}

/** {@link DnsServer.start} called twice, or after close. Code `LARS_DNS_STATE`. */
export class DnsStateError extends LarsError {
  override readonly name = "DnsStateError";
  constructor(message: string) {
    super("LARS_DNS_STATE", message);
  }
}
