# Chapter 9: a small web application in Python, as a unikernel.
# A WSGI application served by the standard library's wsgiref: GET /
# greets and counts the visits, GET /env shows what the image told
# Python about itself, POST /echo returns the body.  The port is the
# first argument (8080 by default).
import json
import os
import platform
import sys
import threading
from wsgiref.simple_server import make_server

visits = 0
lock = threading.Lock()


def app(environ, start_response):
    global visits
    path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
    if path == "/" and method == "GET":
        with lock:
            visits += 1
            body = "hello from Python %s, visit %d\n" % (platform.python_version(), visits)
    elif path == "/env" and method == "GET":
        body = json.dumps({"system": platform.system(), "release": platform.release(),
                           "pid": os.getpid(), "cwd": os.getcwd(),
                           "executable": sys.executable}) + "\n"
    elif path == "/echo" and method == "POST":
        n = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(n).decode("utf-8", "replace")
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    data = body.encode()
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                              ("Content-Length", str(len(data)))])
    return [data]


port = int(sys.argv[1]) if len(sys.argv) > 1 else 8080
with make_server("", port, app) as server:
    print("serving on port %d" % port, flush=True)
    server.serve_forever()
