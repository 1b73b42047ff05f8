"""A real DNS server on loopback for tests: dnsmasq (Debian's dnsmasq-base).

    with DnsServer(mx={"example.test": [(10, "mx1.example.test")]},
                   hosts={"mx1.example.test": ["127.0.0.2"]},
                   null_mx=["nomail.test"]) as dns:
        inst.control("resolvers", dns.resolvers_line())

Every zone is under the test's own top-level names (--local), so a name the test
did not define is NXDOMAIN, a defined name without the asked type is NODATA,
and names outside those zones are REFUSED (a temporary failure to the client).
Nothing is ever forwarded: --no-resolv, --no-hosts, no upstream servers.
"""
import os, random, shutil, socket, struct, subprocess, time

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"


class DnsServer:
    def __init__(self, mx=None, hosts=None, null_mx=(), zones=("test",), address="127.0.0.53", port=None):
        self.mx = mx or {}
        self.hosts = hosts or {}
        self.null_mx = list(null_mx)
        self.zones = list(zones)
        self.address = address
        self.port = port or random.randrange(20000, 60000)
        self.proc = None

    def args(self):
        a = [DNSMASQ, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
             "--listen-address=" + self.address, "--port=%d" % self.port, "--bind-interfaces",
             "--pid-file=", "--log-facility=-", "--cache-size=0"]
        if os.geteuid() == 0:
            a.append("--user=nobody")
        for z in self.zones:
            a.append("--local=/%s/" % z)
        for dom, recs in self.mx.items():
            for pref, host in recs:
                a.append("--mx-host=%s,%s,%d" % (dom, host, pref))
        for dom in self.null_mx:
            a.append("--mx-host=%s,.,0" % dom)
        for name, addrs in self.hosts.items():
            a.append("--host-record=%s,%s" % (name, ",".join(addrs)))
        return a

    def __enter__(self):
        self.proc = subprocess.Popen(self.args(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("dnsmasq exited: " + self.proc.stderr.read().decode(errors="replace"))
            if self.query_ok():
                return self
            time.sleep(0.05)
        raise RuntimeError("dnsmasq did not answer")

    def __exit__(self, *exc):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc.stderr.close()

    def resolvers_line(self):
        return "%s:%d\n" % (self.address, self.port)

    def query_ok(self):
        """True once the server answers an SOA query for the first zone."""
        q = struct.pack(">HHHHHH", 4242, 0x100, 1, 0, 0, 0)
        q += b"".join(bytes([len(p)]) + p.encode() for p in self.zones[0].split(".")) + b"\0"
        q += struct.pack(">HH", 6, 1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(0.2)
        try:
            s.sendto(q, (self.address, self.port))
            s.recv(512)
            return True
        except OSError:
            return False
        finally:
            s.close()
