// A loopback port that stays closed until a test listens on it, without another test taking it in between.
//
// A port reserved with listen(0) and closed again comes from the kernel's ephemeral range, which every other
// listen(0) and every outgoing connection's source port draw from: while a test leaves it closed (to see
// connections refused), a parallel test file could take it. Ports below that range are only ever bound by a
// fixed number (the suite binds none), so a free one found there stays free.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

const LOWEST = 20_000;

/** The first port of the kernel's ephemeral range (32768 where /proc does not say). */
async function ephemeralStart(): Promise<number> {
  try {
    const first = Number((await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')).trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > LOWEST + 1000 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free loopback port below the ephemeral range, nothing listening on it. */
export async function closedPort(): Promise<number> {
  const end = await ephemeralStart();
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = LOWEST + Math.floor(Math.random() * (end - LOWEST));
    if (await isFree(port)) return port;
  }
  throw new Error(`no free loopback port between ${LOWEST} and ${end}`);
}
