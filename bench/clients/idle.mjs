// Idle-connection client for the memory measurement: opens --conns N plain
// node:net connections in batches of --batch (each batch waits for all of its
// connects), sends nothing, prints {"event":"connected","conns":N,"failed":F}
// and holds them until stdin ends or says "exit".
//   node bench/clients/idle.mjs --port P [--conns 10000] [--batch 500]
import net from "node:net";
import { createInterface } from "node:readline";
import { benchArgs, emit } from "../lib/common.mjs";

const { host, port, conns, batch } = benchArgs();
const sockets = [];
let failed = 0;

function connectOne() {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => {
      sockets.push(socket);
      resolve();
    });
    socket.on("error", () => {
      failed++;
      resolve();
    });
  });
}

const exit = () => process.exit(0);
createInterface({ input: process.stdin }).on("line", (l) => l.trim() === "exit" && exit()).on("close", exit);
process.on("SIGTERM", exit);

for (let opened = 0; opened < conns; ) {
  const n = Math.min(batch, conns - opened);
  const batchPromises = [];
  for (let i = 0; i < n; i++) batchPromises.push(connectOne());
  await Promise.all(batchPromises);
  opened += n;
}
emit({ event: "connected", conns: sockets.length, failed });
