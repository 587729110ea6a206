"""The host's published ports, as seen from the lab console.

On a real Docker host, `curl localhost:<port>` reaches a container whose port is published
on <port>. The console is the TP's host machine but a container on the lab's bridge: the
real host's address is fenced off (infra/isolation.sh), and Docker does not NAT a bridge's
own traffic back into it. So the console listens on its own loopback on each port given,
and for every connection asks the lab's daemon which of the lab's containers publishes that
port, then connects to it directly on the lab's network. It reaches nothing the console
could not reach anyway.

Usage: published-ports.py <port> [<port>...]   (DOCKER_HOST=unix://<socket>, ~/.docker/config.json)
"""
import http.client
import json
import os
import socket
import sys
import threading


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.path)


def headers():
    with open(os.path.expanduser("~/.docker/config.json")) as f:
        return json.load(f).get("HttpHeaders", {})


def target(port):
    """(ip, container port) of the lab container publishing `port`, or None."""
    conn = UnixHTTPConnection(os.environ["DOCKER_HOST"][len("unix://"):])
    try:
        conn.request("GET", "/v1.41/containers/json", headers=headers())
        reply = conn.getresponse()
        if reply.status != 200:
            return None
        containers = json.loads(reply.read())
    finally:
        conn.close()
    for c in containers:
        for p in c.get("Ports") or []:
            if p.get("PublicPort") == port and p.get("Type") == "tcp":
                nets = (c.get("NetworkSettings") or {}).get("Networks") or {}
                ips = [n.get("IPAddress") for n in nets.values() if n.get("IPAddress")]
                if ips:
                    return ips[0], p["PrivatePort"]
    return None


def pipe(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def serve_one(client, port):
    try:
        found = target(port)
        if not found:
            client.close()  # nothing publishes that port: connection closed, as "connection reset"
            return
        upstream = socket.create_connection(found, timeout=10)
        upstream.settimeout(None)
        client.settimeout(None)
    except (OSError, ValueError, KeyError, http.client.HTTPException):
        client.close()
        return
    back = threading.Thread(target=pipe, args=(upstream, client), daemon=True)
    back.start()
    pipe(client, upstream)
    back.join()
    upstream.close()
    client.close()


def listen(port):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(64)
    while True:
        client, _ = server.accept()
        threading.Thread(target=serve_one, args=(client, port), daemon=True).start()


if __name__ == "__main__":
    ports = [int(p) for p in sys.argv[1:]]
    for p in ports[1:]:
        threading.Thread(target=listen, args=(p,), daemon=True).start()
    if ports:
        listen(ports[0])
