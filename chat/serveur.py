#!/usr/bin/env python3
"""Chat server for the Docker networking lab (TP part 3c).

Run it:   python3 serveur.py [--host 0.0.0.0] [--port 5000]
          (--port 0 lets the system choose a free port; the first line printed shows it)

The protocol is made of text lines (UTF-8, each line ends with "\\n"):
  - the first line a client sends is its nickname;
  - every later line is sent to all the OTHER clients as "[nickname] message";
  - everyone is told when someone joins or leaves: "* alice joined", "* alice left".

The whole server runs in one thread. The `selectors` module tells us which sockets
are ready (a new client is knocking, a client sent bytes, a client can take more
bytes); we then do a little work on those sockets only. We never wait for one
particular client, so a slow or silent client cannot hold up the others.
"""

import argparse
import selectors
import signal
import socket
import sys

MAX_LINE = 4096  # the longest line we accept, in bytes, without its "\n"
MAX_OUTBOX = 256 * 1024  # bytes we keep for a client that reads too slowly
MAX_NICKNAME = 32  # characters
RECV_SIZE = 4096  # bytes read from a socket at a time


def log(message):
    # flush=True: print at once, so that `docker logs` shows the line immediately
    print(message, flush=True)


def clean(text):
    """Replace control characters (escape codes, bells...) so nobody can mess up the others' terminals."""
    return "".join("?" if ord(char) < 32 or ord(char) == 127 else char for char in text)


class Client:
    """What the server remembers about one connected client."""

    def __init__(self, sock, address):
        self.sock = sock
        self.address = f"{address[0]}:{address[1]}"
        self.nickname = None  # set by the first line the client sends
        self.inbox = bytearray()  # bytes received that do not make a whole line yet
        self.outbox = bytearray()  # bytes waiting to be sent to this client
        self.skipping = False  # True while we throw away the rest of a line that is too long
        self.closed = False

    def name(self):
        return self.nickname or self.address


class ChatServer:
    def __init__(self, host, port):
        self.selector = selectors.DefaultSelector()
        self.clients = {}  # socket -> Client
        self.guests = 0  # how many "guest-<n>" names we have handed out
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # lets us restart the server at once on the same port
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, port))
        self.listener.listen()
        self.listener.setblocking(False)
        self.selector.register(self.listener, selectors.EVENT_READ)

    def address(self):
        host, port = self.listener.getsockname()[:2]
        return f"{host}:{port}"

    def serve_forever(self):
        while True:
            for key, events in self.selector.select():
                if key.fileobj is self.listener:
                    self.accept()
                    continue
                # the client may have been disconnected earlier in this same round
                client = self.clients.get(key.fileobj)
                if client and events & selectors.EVENT_READ:
                    self.receive(client)
                if client and not client.closed and events & selectors.EVENT_WRITE:
                    self.flush(client)

    # --- connections -------------------------------------------------------

    def accept(self):
        try:
            sock, address = self.listener.accept()
        except BlockingIOError:
            return  # someone else was faster, nothing to do
        except OSError as error:  # e.g. too many open files: keep serving the others
            log(f"accept failed: {error}")
            return
        sock.setblocking(False)
        client = Client(sock, address)
        self.clients[sock] = client
        self.selector.register(sock, selectors.EVENT_READ)
        log(f"connection from {client.address}")

    def disconnect(self, client, reason):
        if client.closed:
            return
        client.closed = True
        del self.clients[client.sock]
        self.selector.unregister(client.sock)
        client.sock.close()
        log(f"{client.name()} ({client.address}) left: {reason}")
        if client.nickname:
            self.broadcast(f"* {client.nickname} left", sender=client)

    # --- receiving ---------------------------------------------------------

    def receive(self, client):
        try:
            data = client.sock.recv(RECV_SIZE)
        except BlockingIOError:
            return
        except OSError as error:  # e.g. "connection reset by peer": it vanished without a goodbye
            self.disconnect(client, error.strerror or str(error))
            return
        if not data:  # an empty read means the client closed the connection
            self.disconnect(client, "closed the connection")
            return
        for line in self.split_lines(client, data):
            if client.closed:  # it may have been dropped while we relayed its previous line
                return
            self.handle_line(client, line)

    def split_lines(self, client, data):
        """Add data to the client's inbox and take out the complete lines it now holds."""
        client.inbox += data
        lines = []
        while b"\n" in client.inbox:
            line, _, client.inbox = client.inbox.partition(b"\n")
            if client.skipping:  # this is the end of a line that was too long: drop it
                client.skipping = False
            elif len(line) > MAX_LINE:
                self.refuse_long_line(client)
            else:
                lines.append(bytes(line))
        # No newline yet but already too long: forget it now, so that a client sending
        # megabytes without a newline cannot make us use megabytes of memory.
        if len(client.inbox) > MAX_LINE:
            client.inbox.clear()
            if not client.skipping:
                client.skipping = True
                self.refuse_long_line(client)
        return lines

    def refuse_long_line(self, client):
        log(f"{client.name()} ({client.address}) sent a line longer than {MAX_LINE} bytes")
        self.send(client, f"* line too long (more than {MAX_LINE} bytes): not sent")

    def handle_line(self, client, raw):
        # bytes that are not valid UTF-8 become "\ufffd" instead of crashing the server
        text = clean(raw.decode("utf-8", errors="replace").rstrip("\r"))
        if client.nickname is None:
            self.set_nickname(client, text)
        elif text.strip():
            self.broadcast(f"[{client.nickname}] {text}", sender=client)

    def set_nickname(self, client, wanted):
        nickname = wanted.strip()[:MAX_NICKNAME]
        if not nickname:
            self.guests += 1
            nickname = f"guest-{self.guests}"
        client.nickname = self.unique(nickname)
        log(f"{client.address} is {client.nickname}")
        others = [c.nickname for c in self.clients.values() if c.nickname and c is not client]
        self.send(client, f"* welcome {client.nickname}, online: {', '.join(others) or 'nobody else'}")
        self.broadcast(f"* {client.nickname} joined", sender=client)

    def unique(self, wanted):
        """Add -2, -3... to a nickname somebody already uses."""
        taken = {c.nickname for c in self.clients.values()}
        nickname, n = wanted, 1
        while nickname in taken:
            n += 1
            nickname = f"{wanted}-{n}"
        return nickname

    # --- sending -----------------------------------------------------------

    def broadcast(self, text, sender):
        """Send a line to every client that has a nickname, except the sender."""
        for client in list(self.clients.values()):
            if client is not sender and client.nickname:
                self.send(client, text)

    def send(self, client, text):
        """Put a line in the client's outbox, then send what the network takes right now."""
        if client.closed:
            return
        client.outbox += text.encode("utf-8") + b"\n"
        if len(client.outbox) > MAX_OUTBOX:
            self.disconnect(client, f"too slow: more than {MAX_OUTBOX} bytes waiting for it")
            return
        self.flush(client)

    def flush(self, client):
        try:
            sent = client.sock.send(client.outbox)  # never waits: the socket is non-blocking
        except BlockingIOError:
            sent = 0  # its buffers are full: try again when the selector says it is writable
        except OSError as error:
            self.disconnect(client, error.strerror or str(error))
            return
        del client.outbox[:sent]
        # ask the selector to wake us up for writing only while something is waiting
        events = selectors.EVENT_READ
        if client.outbox:
            events |= selectors.EVENT_WRITE
        self.selector.modify(client.sock, events)

    # --- stopping ----------------------------------------------------------

    def close(self):
        for client in list(self.clients.values()):
            try:
                client.sock.send(b"* server shutting down\n")
            except OSError:
                pass  # best effort: we are leaving anyway
            client.sock.close()
        self.listener.close()
        self.selector.close()


def parse_args():
    parser = argparse.ArgumentParser(description="Chat server for the Docker networking lab.")
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default: all of them)")
    parser.add_argument("--port", type=int, default=5000, help="TCP port (default: 5000, 0: any free port)")
    return parser.parse_args()


def on_sigterm(signum, frame):
    # `docker stop` sends SIGTERM: treat it like Ctrl-C. Without a handler, a program
    # running as PID 1 in a container ignores SIGTERM and Docker has to kill it after 10 s.
    raise KeyboardInterrupt


def main():
    args = parse_args()
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        server = ChatServer(args.host, args.port)
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 1
    log(f"chat server listening on {server.address()}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        log("chat server stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
