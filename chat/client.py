#!/usr/bin/env python3
"""Chat client for the Docker networking lab (TP part 3c).

Run it:   python3 client.py [server_host] [nickname] [--port 5000] [--linger SECONDS]
          (it asks for the server and the nickname when they are not given)

Type a line and press Enter to send it to everyone else; messages from the others
are printed as they arrive. Type /quit (or press Ctrl-C) to leave.

When the input ends (Ctrl-D, or the end of a file or pipe given as input), the client
stops sending but stays connected and keeps printing what arrives, until the server
closes the connection. With --linger SECONDS it hangs up that many seconds after the
end of its input instead (--linger 0: at once). This way a program can drive the
client through a pipe and still read the replies.

Exit codes: 0 when the chat ends normally, 1 when the connection breaks,
2 when the server cannot be reached.

Two things happen at the same time: reading what you type, and reading what the
server sends. So the client uses two threads: a helper thread reads your lines and
sends them; the main thread prints everything that comes from the server.
"""

import argparse
import socket
import sys
import threading
import time


def parse_args():
    parser = argparse.ArgumentParser(description="Chat client for the Docker networking lab.")
    parser.add_argument("host", nargs="?", help="address or name of the chat server")
    parser.add_argument("nickname", nargs="?", help="the name the others will see")
    parser.add_argument("--port", type=int, default=5000, help="server port (default: 5000)")
    parser.add_argument(
        "--linger",
        type=float,
        metavar="SECONDS",
        help="after the end of input, hang up after SECONDS (default: stay until the server closes)",
    )
    return parser.parse_args()


def ask(question):
    try:
        return input(question).strip()
    except EOFError:  # nothing more to read: answer with an empty line
        return ""


def connect(host, port):
    try:
        return socket.create_connection((host, port), timeout=10)
    except OSError as error:  # refused, unknown host, no route, timed out...
        reason = error.strerror or str(error) or type(error).__name__
        print(f"error: cannot connect to the chat server {host}:{port}: {reason}", file=sys.stderr)
        print("Is serveur.py running there, and are both on the same network?", file=sys.stderr)
        sys.exit(2)


def hang_up(sock, leaving):
    """Close our side of the connection; the main thread then stops reading."""
    leaving.set()
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def send_typed_lines(sock, linger, leaving):
    """Helper thread: send every line read from the input to the server."""
    for line in sys.stdin:
        if line.strip() == "/quit":
            hang_up(sock, leaving)
            return
        try:
            sock.sendall(line.rstrip("\r\n").encode("utf-8") + b"\n")
        except OSError:
            return  # the connection is gone; the main thread says so
    # end of input: keep receiving, for ever or for `linger` seconds
    if sys.stdin.isatty():
        print("* end of input: still receiving, press Ctrl-C to quit", file=sys.stderr, flush=True)
    if linger is not None:
        time.sleep(linger)
        hang_up(sock, leaving)


def print_received_lines(sock, leaving):
    """Main thread: print every line the server sends until the connection closes."""
    try:
        for raw in sock.makefile("rb"):
            # flush=True: a program reading our output through a pipe gets each line at once
            print(raw.decode("utf-8", errors="replace").rstrip("\r\n"), flush=True)
    except OSError as error:
        if not leaving.is_set():
            print(f"connection lost: {error.strerror or error}", file=sys.stderr, flush=True)
            return 1
    if not leaving.is_set():
        print("connection closed by server", flush=True)
    return 0


def main():
    args = parse_args()
    # a byte that is not UTF-8 in the input becomes "\ufffd" instead of stopping the client
    sys.stdin.reconfigure(errors="replace")
    host = args.host or ask("chat server address: ") or "localhost"
    nickname = args.nickname if args.nickname is not None else ask("your nickname: ")
    sock = connect(host, args.port)
    sock.settimeout(None)  # the 10 s limit was for connecting only
    sock.sendall(nickname.strip().encode("utf-8") + b"\n")  # the first line is our nickname
    print(f"connected to {host}:{args.port} as {nickname.strip() or 'a guest'}", flush=True)

    leaving = threading.Event()
    # daemon=True: this thread must not keep the program alive once the chat is over
    sender = threading.Thread(target=send_typed_lines, args=(sock, args.linger, leaving), daemon=True)
    sender.start()
    try:
        return print_received_lines(sock, leaving)
    finally:
        sock.close()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C, at any moment, means "leave": no error message
        print(file=sys.stderr)  # end the line where the terminal echoed ^C
        sys.exit(0)
