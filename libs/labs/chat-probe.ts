/**
 * What the chat's checks run inside the lab's containers (step 3c). Both are Python 3
 * standard library given to `python3 -c`, so they need nothing but the python3 that the
 * mypython2 image has: no file in the image, no extra tool, whatever image the student built.
 *
 * - TCP_PROBE_SCRIPT opens a TCP connection and says how it went.
 * - CHAT_DRIVER_SCRIPT drives the real chat client (client.py) through pipes, the way the
 *   chat's README says a program may: a receiver waits for one line, a sender waits until
 *   the receivers are online (the server announces them) and then sends one line. The
 *   lines go through the lab's real server, from one client container to the others.
 */

/** The TP's chat port (serveur.py's default). */
export const CHAT_PORT = 5000;
/** Where the TP puts the chat folder in the mypython2 image. */
export const CHAT_CLIENT_PATH = '/home/chat/client.py';

/** argv: host port timeout_seconds. Prints `open`, or why not, and exits 0 or 3-6. */
export const TCP_PROBE_SCRIPT = `import socket, sys
host, port, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
try:
    socket.create_connection((host, port), timeout=limit).close()
except socket.gaierror:
    print("unresolved"); sys.exit(3)
except ConnectionRefusedError:
    print("refused"); sys.exit(4)
except TimeoutError:
    print("timeout"); sys.exit(5)
except OSError as error:
    print("error", error.strerror or error); sys.exit(6)
print("open")
`;

export type TcpProbeOutcome =
  | { kind: 'open' }
  | { kind: 'unresolved' | 'refused' | 'timeout' }
  | { kind: 'error'; detail: string };

/** Reads the probe's exit code and output; undefined when the probe itself could not run (no python3...). */
export function tcpProbeOutcome(exitCode: number | null, stdout: string): TcpProbeOutcome | undefined {
  const said = stdout.trim().split('\n').pop() ?? '';
  if (exitCode === 0 && said === 'open') return { kind: 'open' };
  if (exitCode === 3 && said === 'unresolved') return { kind: 'unresolved' };
  if (exitCode === 4 && said === 'refused') return { kind: 'refused' };
  if (exitCode === 5 && said === 'timeout') return { kind: 'timeout' };
  if (exitCode === 6 && said.startsWith('error')) return { kind: 'error', detail: said.slice(6).trim() };
  return undefined;
}

/** In words, for messages: `connection refused`, `the name chat_serveur does not resolve`. */
export function describeTcpFailure(outcome: Exclude<TcpProbeOutcome, { kind: 'open' }>, host: string, timeoutMs: number): string {
  switch (outcome.kind) {
    case 'unresolved':
      return `the name ${host} does not resolve from there`;
    case 'refused':
      return 'connection refused';
    case 'timeout':
      return `no answer within ${timeoutMs / 1000} s`;
    case 'error':
      return outcome.detail;
  }
}

/** Status lines the driver adds to the client's output; a chat line can never start with them. */
export const DRIVER_MARK = '##netlabs';

/**
 * argv: role client_path host port nick token sender wanted limit_seconds
 *  - role `recv`: passes (exit 0) when the line `[sender] token` arrives.
 *  - role `send`: once every nick of `wanted` (comma-separated) is online, sends `token`.
 * Exit codes: 0 done; 2 the client could not connect (client.py's own code); 3 the wait
 * ran out (`##netlabs missing <nicks>` / `##netlabs timeout`); 4 the client ended first.
 * Every line the client printed is echoed, so a failure can show what arrived.
 */
export const CHAT_DRIVER_SCRIPT = `import os, select, subprocess, sys, time
role, client, host, port, nick, token, sender, wanted, limit = sys.argv[1:10]
wanted = set(n for n in wanted.split(",") if n)
expected = "[%s] %s" % (sender, token)
deadline = time.monotonic() + float(limit)
proc = subprocess.Popen([sys.executable, client, host, nick, "--port", port, "--linger", "0"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
def finish(code, status):
    print("${DRIVER_MARK} " + status, flush=True)
    try:
        proc.stdin.close()
    except OSError:
        pass
    try:
        proc.wait(2)
    except subprocess.TimeoutExpired:
        proc.kill()
    sys.exit(code)
online, welcomed, pending = set(), False, b""
while True:
    left = deadline - time.monotonic()
    if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
        break
    chunk = os.read(proc.stdout.fileno(), 65536)
    if not chunk:
        code = proc.wait()
        print("${DRIVER_MARK} client exited with code %d" % code, flush=True)
        sys.exit(2 if code == 2 else 4)
    *lines, pending = (pending + chunk).split(b"\\n")
    for raw in lines:
        line = raw.decode("utf-8", "replace")
        print(line, flush=True)
        if line.startswith("* welcome "):
            welcomed = True
            others = line.partition(", online: ")[2]
            if others != "nobody else":
                online.update(others.split(", "))
        elif line.startswith("* ") and line.endswith(" joined"):
            online.add(line[2:-7])
        elif line.startswith("* ") and line.endswith(" left"):
            online.discard(line[2:-5])
        if role == "recv" and line == expected:
            finish(0, "received")
        if role == "send" and welcomed and wanted <= online:
            proc.stdin.write((token + "\\n").encode())
            proc.stdin.flush()
            finish(0, "sent")
if role == "send":
    finish(3, "missing " + ",".join(sorted(wanted - online)))
finish(3, "timeout")
`;

export interface DriverArgs {
  role: 'send' | 'recv';
  clientPath: string;
  host: string;
  port: number;
  nick: string;
  token: string;
  sender: string;
  wanted: string[];
  limitMs: number;
}

export function chatDriverCommand(args: DriverArgs): string[] {
  return [
    'python3',
    '-c',
    CHAT_DRIVER_SCRIPT,
    args.role,
    args.clientPath,
    args.host,
    String(args.port),
    args.nick,
    args.token,
    args.sender,
    args.wanted.join(','),
    String(args.limitMs / 1000),
  ];
}

export function tcpProbeCommand(host: string, port: number, timeoutMs: number): string[] {
  return ['python3', '-c', TCP_PROBE_SCRIPT, host, String(port), String(timeoutMs / 1000)];
}

/** The driver's closing status line (`received`, `sent`, `missing a,b`, `timeout`, `client exited with code 2`). */
export function driverStatus(stdout: string): string | undefined {
  const line = stdout.split('\n').reverse().find((l) => l.startsWith(`${DRIVER_MARK} `));
  return line?.slice(DRIVER_MARK.length + 1);
}

/** What the client printed, without the driver's status lines. */
export function clientLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.trim() && !l.startsWith(DRIVER_MARK));
}

/** Why client.py could not connect, from its own message (`Connection refused`, `Name or service not known`). */
export function connectError(stdout: string): string | undefined {
  return /cannot connect to the chat server \S+: (.+)$/m.exec(stdout)?.[1].trim();
}
