"""Helpers shared by the side-by-side benchmarks (rdb.py, repl.py): free ports, redis-cli calls,
a server process (Redis or Cinnabar) stopped by PID, its proportional set size, the key:%012d
dataset, and a minimal RESP connection for polling INFO without a process per call."""
import os
import re
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cli(port, *args, timeout=600):
    out = subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=timeout)
    return out.stdout.strip()


class Server:
    """A redis-server or Cinnabar process on a free 127.0.0.1 port, with no save points, logging to
    <workdir>/<name>.log; waits (with a deadline) until it answers PING, so a dataset given as
    <workdir>/dump.rdb is loaded when the constructor returns."""

    def __init__(self, kind, workdir, extra=(), name=None):
        self.kind = kind
        self.dir = workdir
        self.port = free_port()
        self.log = os.path.join(workdir, f"{name or kind}.log")
        binary = os.environ.get("REDIS_SERVER", "redis-server") if kind == "redis" else \
            os.environ.get("CINNABAR", os.path.join(HERE, "cinnabar-server"))
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--daemonize", "no", "--dir", workdir, "--dbfilename", "dump.rdb", "--logfile", self.log,
                "--enable-debug-command", "yes", *extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 600
        while True:
            try:
                if cli(self.port, "ping", timeout=5) == "PONG":
                    break
            except subprocess.TimeoutExpired:
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"{kind} did not start: " + open(self.log).read()[-2000:])
            time.sleep(0.1)

    def stop(self):
        self.proc.kill()
        self.proc.wait()

    def pss_kb(self, fields=("Pss:",)):
        """Proportional set size of the server and its children (Redis's fork child); with
        fields, the sum of those smaps_rollup lines instead (e.g. the anonymous part)."""
        pids = [self.proc.pid]
        try:
            children = open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read().split()
            pids += [int(c) for c in children]
        except OSError:
            pass
        total = 0
        for pid in pids:
            try:
                for line in open(f"/proc/{pid}/smaps_rollup"):
                    if line.startswith(fields):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total

    def private_kb(self):
        """The process's own memory: anonymous and shared-memory PSS (heap, stacks, JIT code;
        for Redis with its fork child, copy-on-write pages once), without the file-backed pages
        of its binary and libraries, whose PSS share drops whenever another process maps the
        same files (a Cinnabar replica starting beside a Cinnabar primary)."""
        return self.pss_kb(("Pss_Anon:", "Pss_Shmem:"))

    def loaded_seconds(self):
        text = open(self.log).read()
        m = re.findall(r"DB loaded from disk: ([0-9.]+) seconds", text)
        return float(m[-1]) if m else None


def populate(port, keys):
    """keys SETs of key:%012d (the names redis-benchmark -r gives) with 32-byte values, piped."""
    p = subprocess.Popen(["redis-cli", "-p", str(port), "--pipe"], stdin=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    chunk = []
    for i in range(keys):
        k = f"key:{i:012d}"
        v = f"value:{i}".ljust(32, "-")
        chunk.append(f"*3\r\n$3\r\nSET\r\n${len(k)}\r\n{k}\r\n$32\r\n{v}\r\n")
        if len(chunk) == 10000:
            p.stdin.write("".join(chunk).encode())
            chunk = []
    p.stdin.write("".join(chunk).encode())
    p.stdin.close()
    if p.wait() != 0:
        raise RuntimeError("redis-cli --pipe failed")
    got = int(cli(port, "dbsize"))
    if got != keys:
        raise RuntimeError(f"populated {got} keys, expected {keys}")


def info_field(port, section, field):
    for line in cli(port, "info", section).splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return None


def resp_command(*args):
    out = [f"*{len(args)}\r\n".encode()]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


class Conn:
    """One RESP connection (blocking, request/reply): replies come back as bytes, ints, lists,
    or RuntimeError for an error reply."""

    def __init__(self, port, timeout=60):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def _fill(self):
        data = self.sock.recv(1 << 16)
        if not data:
            raise ConnectionError("connection closed")
        self.buf += data

    def read(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest
        if t == b"-":
            return RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError(f"unexpected reply {line!r}")

    def call(self, *args):
        self.sock.sendall(resp_command(*args))
        return self.read()

    def info(self, section):
        """INFO <section> as a dict of field -> string."""
        reply = self.call("info", section)
        if isinstance(reply, Exception):
            raise reply
        fields = {}
        for line in reply.decode().splitlines():
            if ":" in line and not line.startswith("#"):
                k, v = line.split(":", 1)
                fields[k] = v
        return fields
