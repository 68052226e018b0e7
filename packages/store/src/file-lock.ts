import { resolve } from "node:path";

const tails = new Map<string, Promise<void>>();

/**
 * Runs `fn` after every earlier `fn` given for the same SQLite file in this
 * thread has settled. better-sqlite3 is synchronous: a write transaction that
 * Kysely keeps open across awaits would make a second connection in the same
 * thread spin in SQLite's busy handler, blocking the very thread that must
 * finish the first one, until `SQLITE_BUSY`. Other processes and threads are
 * served by SQLite's own locking (busy timeout).
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const key = path === ":memory:" ? `:memory:${Math.random()}` : resolve(path);
  const previous = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = previous.then(() => mine);
  tails.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}
