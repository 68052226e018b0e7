import type { AttributeKey } from "./net-connection.js";

/**
 * The attribute part of {@link NetConnection}, for transports to extend. The
 * map is made on first `setAttr`, so a connection without attributes pays
 * nothing for them.
 */
export abstract class ConnectionAttributes {
  private attrs: Map<AttributeKey, unknown> | undefined;

  getAttr<T = unknown>(key: AttributeKey): T | undefined {
    return this.attrs?.get(key) as T | undefined;
  }

  setAttr(key: AttributeKey, value: unknown): void {
    (this.attrs ??= new Map()).set(key, value);
  }

  deleteAttr(key: AttributeKey): boolean {
    return this.attrs?.delete(key) ?? false;
  }

  /** Drop every attribute (transports call this once a connection is gone). */
  protected clearAttrs(): void {
    this.attrs = undefined;
  }
}
