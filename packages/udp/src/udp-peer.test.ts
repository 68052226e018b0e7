import { describe, expect, it } from "vitest";
import { SendError } from "@lars/codec";
import type { MessageBody } from "@lars/codec";
import { UdpPeer } from "./udp-peer.js";
import type { UdpPeerOwner } from "./udp-peer.js";

class FakeServer implements UdpPeerOwner {
  closed = false;
  readonly sent: [MessageBody, number, string, number][] = [];
  sendTo(data: MessageBody, msgid: number, address: string, port: number): boolean {
    this.sent.push([data, msgid, address, port]);
    return true;
  }
}

describe("UdpPeer", () => {
  it("is a udp NetConnection that sends back to its sender through its server", () => {
    const server = new FakeServer();
    const peer = new UdpPeer(server, "10.1.2.3", 4567);
    expect(peer).toMatchObject({ transport: "udp", remoteAddress: "10.1.2.3", remotePort: 4567, closed: false });
    expect(peer.sendMessage("hi", 3)).toBe(true);
    expect(server.sent).toEqual([["hi", 3, "10.1.2.3", 4567]]);
    expect(new UdpPeer(server, "10.1.2.3", 4567).id).not.toBe(peer.id);
  });

  it("close() refuses its later sends only; a closing server closes every peer", () => {
    const server = new FakeServer();
    const a = new UdpPeer(server, "127.0.0.1", 1);
    const b = new UdpPeer(server, "127.0.0.1", 2);
    a.close();
    a.close();
    expect(a.closed).toBe(true);
    expect(() => a.sendMessage("x", 1)).toThrow(SendError);
    expect(b.sendMessage("x", 1)).toBe(true);
    server.closed = true;
    expect(b.closed).toBe(true);
  });

  it("holds attributes of its own", () => {
    const peer = new UdpPeer(new FakeServer(), "127.0.0.1", 1);
    expect(peer.getAttr("k")).toBeUndefined();
    peer.setAttr("k", 42);
    expect(peer.getAttr<number>("k")).toBe(42);
    expect(peer.deleteAttr("k")).toBe(true);
    expect(peer.getAttr("k")).toBeUndefined();
  });
});
