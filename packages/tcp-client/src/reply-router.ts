import { HandlerError, MessageRouter } from "@lars/codec";
import type { NetConnection, RouteErrorReporter } from "@lars/codec";
import { LarsError } from "@lars/iobuf";
import type { RequestMatcher } from "./request-matcher.js";

/**
 * The router a client hands to its `TcpConn`s: frames of a msgid with
 * request slots go to the {@link RequestMatcher}; all others to the user's
 * router. Its own route table stays empty; it is internal and never shown.
 */
export class ReplyRouter extends MessageRouter<NetConnection> {
  constructor(
    private readonly target: MessageRouter<NetConnection>,
    private readonly matcher: RequestMatcher,
    /** Where async route handler failures go (pre-bound once: no closure per frame). */
    private readonly reportAsync: RouteErrorReporter<NetConnection>,
  ) {
    super();
  }

  override dispatch(msgid: number, body: Buffer, conn: NetConnection): LarsError | undefined {
    try {
      if (this.matcher.take(msgid, body)) return undefined;
    } catch (err) {
      // A correlated reply that its codec or replyKey refused.
      return err instanceof LarsError ? err : new HandlerError(msgid, err);
    }
    return this.target.dispatch(msgid, body, conn, this.reportAsync);
  }
}
