import { MessageRouter } from "@lars/codec";
import type { NetConnection } from "@lars/codec";
import type { LarsError } from "@lars/iobuf";
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
  ) {
    super();
  }

  override dispatch(msgid: number, body: Buffer, conn: NetConnection): LarsError | undefined {
    if (this.matcher.take(msgid, body)) return undefined;
    return this.target.dispatch(msgid, body, conn);
  }
}
