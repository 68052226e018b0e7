import { describe, expect, it } from "vitest";
import { EventLoop } from "@lars/event-loop";
import { ServerStateError, TcpServer } from "../src/index.js";

// Issue 10, defect 3: broadcast() in a multi-worker primary used to return { sent: 0 } silently.
// Its own file: one program may make only one multi-worker server. Nothing is forked (no listen()).
describe("issue 10 defect 3: broadcast() in a multi-worker primary", () => {
  it("throws ServerStateError (LARS_SERVER_STATE) instead of silently reaching nobody", async () => {
    const loop = new EventLoop({ monitorDelay: false });
    const server = new TcpServer(loop, { host: "127.0.0.1", workers: 2 });
    try {
      expect(server.role).toBe("primary");
      let thrown: unknown;
      try {
        server.broadcast("hello", 1);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ServerStateError);
      expect(thrown).toMatchObject({ code: "LARS_SERVER_STATE", message: expect.stringMatching(/multi-worker primary/) as unknown });
    } finally {
      await server.close();
      await loop.stop();
    }
  });
});
