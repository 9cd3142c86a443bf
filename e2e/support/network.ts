// What one container of a stack can reach on the stack's networks, asked from inside it (the tools of the Debian-based
// images: getent, bash's /dev/tcp, coreutils' timeout), as a process in that tier would see it.
import { execInContainer } from '../../tools/stack/index.js';

// A refused or filtered connection on a local bridge fails well within this; a reachable one takes milliseconds.
const CONNECT_TIMEOUT_S = 3;

const PROBE = `
if getent hosts "$PROBE_HOST" >/dev/null 2>&1; then echo resolves; fi
if timeout ${CONNECT_TIMEOUT_S} bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$PROBE_HOST" "$PROBE_PORT" 2>/dev/null; then echo connects; fi
echo probed
`;

/** Whether `host` resolves inside the container (Docker's DNS), and whether a TCP connection to host:port opens. */
export async function reachFrom(containerId: string, host: string, port: number): Promise<{ resolves: boolean; connects: boolean }> {
  const output = await execInContainer(containerId, ['sh', '-c', PROBE], { PROBE_HOST: host, PROBE_PORT: String(port) });
  // "probed": the script ran to its end, so a missing answer means "no", never a probe that did not run.
  if (!output.includes('probed')) throw new Error(`the reachability probe did not run in ${containerId.slice(0, 12)}: ${output}`);
  return { resolves: output.includes('resolves'), connects: output.includes('connects') };
}
