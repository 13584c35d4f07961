# Python's servers in an image (scripts/images python): a WSGI
# application under wsgiref on port 8001, a threading echo server
# (socketserver, blocking sockets) on 8002, an asyncio echo server on
# 8003, after printing getaddrinfo of each argument (znet's resolver
# behind musl's, over the image's --dns or /etc/hosts).
import asyncio
import hashlib
import socket
import socketserver
import sys
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def app(environ, start_response):
    body = "wsgi %s %s %s\n" % (environ["REQUEST_METHOD"], environ["PATH_INFO"],
                                environ.get("QUERY_STRING", ""))
    if environ["REQUEST_METHOD"] == "POST":
        data = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        body += "posted %d bytes, sha256 %s\n" % (len(data), hashlib.sha256(data).hexdigest())
    body = body.encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            b = self.request.recv(65536)
            if not b:
                break
            self.request.sendall(b)


async def echo(reader, writer):
    while True:
        b = await reader.read(65536)
        if not b:
            break
        writer.write(b)
        await writer.drain()
    writer.close()


async def serve():
    srv = await asyncio.start_server(echo, "", 8003)
    print("services: wsgi 8001, threading echo 8002, asyncio echo 8003", flush=True)
    async with srv:
        await srv.serve_forever()


def main():
    for name in sys.argv[1:]:
        try:
            addr = socket.getaddrinfo(name, 80, socket.AF_INET, socket.SOCK_STREAM)[0][4][0]
            print("getaddrinfo %s: %s" % (name, addr), flush=True)
        except socket.gaierror as e:
            print("getaddrinfo %s: %s" % (name, e), flush=True)
    wsgi = make_server("", 8001, app, handler_class=Quiet)
    threading.Thread(target=wsgi.serve_forever, daemon=True).start()
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    # socketserver listens with a backlog of 5: a burst of clients that
    # each send at once overflows it whenever the accepting thread is
    # behind, and then, on Linux as here, the connections SYN cookies
    # completed are reset (tried: Linux with a slow accepter sent 17
    # RSTs to 30 such clients).  A server for many clients says so.
    socketserver.ThreadingTCPServer.request_queue_size = 128
    echo_srv = socketserver.ThreadingTCPServer(("", 8002), Echo)
    threading.Thread(target=echo_srv.serve_forever, daemon=True).start()
    asyncio.run(serve())


main()
