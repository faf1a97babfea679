import { connect, createServer, type AddressInfo, type Socket } from "node:net";

/**
 * A TCP relay in front of a server (the kube-apiserver) that can cut its open connections or
 * refuse new ones, to break a client's watches while the server itself stays up. TLS passes
 * through untouched: the server's certificate names the address, not the port.
 */
export class TcpProxy {
  /** While true, new connections are closed at once (a network partition). */
  refusing = false;
  /** Connections cut so far. */
  cuts = 0;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private readonly server = createServer((client) => {
    if (this.refusing) {
      client.destroy();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    const pair = { client, upstream };
    this.pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
      this.pairs.delete(pair);
    };
    for (const socket of [client, upstream]) socket.on("close", close).on("error", close);
  });

  constructor(private readonly target: { host: string; port: number }) {}

  /** Listens on a free loopback port; returns the URL to use instead of `server`. */
  static async inFrontOf(server: string): Promise<{ proxy: TcpProxy; url: string }> {
    const target = new URL(server);
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port) });
    await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
    return { proxy, url: `${target.protocol}//127.0.0.1:${(proxy.server.address() as AddressInfo).port}` };
  }

  /** Closes every open connection (watches included); returns how many were cut. */
  cut(): number {
    const n = this.pairs.size;
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.cuts += n;
    return n;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
