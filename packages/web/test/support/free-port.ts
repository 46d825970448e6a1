import net from "node:net";

/**
 * A TCP port that was free a moment ago: listen on :0, read the port, close.
 * Used where a daemon must come back on the same port after a restart.
 */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
