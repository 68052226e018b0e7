let lastId = 0;

/**
 * A new connection id, unique among every NetConnection of this process
 * (TCP server connections, clients, UDP peers, in-memory connections), as
 * `NetConnection.id` promises. Ids are positive and increase.
 */
export function nextConnectionId(): number {
  return ++lastId;
}
