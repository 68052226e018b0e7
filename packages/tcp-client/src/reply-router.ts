import { HandlerError } from "@lars/codec";
import type { MessageRouter, NetConnection, RouteErrorReporter } from "@lars/codec";
import { LarsError } from "@lars/iobuf";
import type { RequestMatcher } from "./request-matcher.js";

/**
 * Where a client's frames go: frames of a msgid with request slots to the
 * {@link RequestMatcher}; all others to the user's router. Internal.
 */
export class ReplyRouter {
  constructor(
    private readonly target: MessageRouter<NetConnection>,
    private readonly matcher: RequestMatcher,
    /** Where async route handler failures go (pre-bound once: no closure per frame). */
    private readonly reportAsync: RouteErrorReporter<NetConnection>,
  ) {}

  /** Deliver one frame; returns the error to report (the router's, or a reply its codec refused). */
  dispatch(msgid: number, body: Buffer, conn: NetConnection): LarsError | undefined {
    // No request waiting (the common case of a plain route): straight to the router.
    if (this.matcher.slotCount !== 0) {
      try {
        if (this.matcher.take(msgid, body)) return undefined;
      } catch (err) {
        // A correlated reply that its codec or replyKey refused.
        return err instanceof LarsError ? err : new HandlerError(msgid, err);
      }
    }
    return this.target.dispatch(msgid, body, conn, this.reportAsync);
  }
}
