"""POP3: the login stage (yubind), yubin-auth, yubin-pop3d (the account's uid),
with real clients: Python poplib, fetchmail and curl.

The servers run under ucspi-tcp's tcpserver on loopback, plain (with STLS
through yubin-tlsd -s) and implicit TLS (yubin-tlsd), as the s6 services of
conf-templates/service/pop3d and pop3sd do with yubin-tcpd."""
import ctypes, os, poplib, pwd, random, shutil, socket, ssl, subprocess, tempfile, time, unittest

from yubintest import BUILD, bin_processes, is_root

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT_UID = 64201           # the test accounts' uid and gid when run as root


def make_cert(path, cn):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", path + ".key", "-out", path + ".crt", "-days", "30",
                    "-subj", "/CN=" + cn], check=True, capture_output=True)
    with open(path, "wb") as out:
        for p in (path + ".crt", path + ".key"):
            with open(p, "rb") as f:
                out.write(f.read())
            os.unlink(p)
    os.chmod(path, 0o600)


def pwhash(password, ops=2, mem=8 << 20):
    """argon2id through libsodium, as yubinctl stores it (small limits: a test)."""
    so = ctypes.CDLL("libsodium.so.23")
    assert so.sodium_init() >= 0
    out = ctypes.create_string_buffer(128)
    pw = password.encode()
    so.crypto_pwhash_str.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulonglong,
                                     ctypes.c_ulonglong, ctypes.c_size_t]
    assert so.crypto_pwhash_str(out, pw, len(pw), ops, mem) == 0
    return out.value


def cdb_hash(key):
    h = 5381
    for c in key:
        h = (((h << 5) + h) & 0xffffffff) ^ c
    return h


def write_cdb(path, records):
    """Writes a constant database (D. J. Bernstein's cdb format, as tinycdb reads it)."""
    import struct
    body, buckets, pos = bytearray(), [[] for _ in range(256)], 2048
    for k, v in records:
        h = cdb_hash(k)
        buckets[h & 255].append((h, pos))
        rec = struct.pack("<II", len(k), len(v)) + k + v
        body += rec
        pos += len(rec)
    header, tables = bytearray(), bytearray()
    for b in buckets:
        n = 2 * len(b)
        slots = [(0, 0)] * n
        for h, p in b:
            i = (h >> 8) % n
            while slots[i][1]:
                i = (i + 1) % n
            slots[i] = (h, p)
        header += struct.pack("<II", pos + len(tables), n)
        for h, p in slots:
            tables += struct.pack("<II", h, p)
    with open(path + ".tmp", "wb") as f:
        f.write(bytes(header) + bytes(body) + bytes(tables))
    os.rename(path + ".tmp", path)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_user(name):
    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                       check=True, capture_output=True)


class Pop3Server:
    """A minimal instance holding what POP3 needs, and tcpserver on three ports:
    plain (no STLS), STLS (yubin-tlsd -s) and implicit TLS (yubin-tlsd)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="yubin-pop3-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.procs = []
        self.accounts = {}
        self.port_plain = self.port_stls = self.port_tls = None

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def setup(self):
        for d in ("bin", "control/tls", "accounts", "run/pbs", "run/authfail", "mail", "log"):
            os.makedirs(self.path(d), exist_ok=True)
        for prog in ("yubin-auth", "yubin-pop3d", "yubin-pop3-login", "yubin-tlsd"):
            shutil.copy(os.path.join(BUILD, prog), self.path("bin", prog))
        make_cert(self.path("control", "tls", "default.pem"), "pop.test")
        if is_root():
            for u in ("yubind", "yubint"):
                ensure_user(u)
            d = pwd.getpwnam("yubind")
            for sub in ("run", "run/pbs", "run/authfail"):
                os.chown(self.path(sub), d.pw_uid, d.pw_gid)
                os.chmod(self.path(sub), 0o700)
            os.chown(self.path("bin", "yubin-auth"), 0, d.pw_gid)
            os.chmod(self.path("bin", "yubin-auth"), 0o4750)
        self.uid = ACCOUNT_UID if is_root() else os.getuid()
        self.gid = ACCOUNT_UID if is_root() else os.getgid()

    def add_account(self, address, password, disabled=False, hashargs=()):
        name, dom = address.split("@")
        home = self.path("mail", dom, name)
        for sub in ("", "Maildir", "Maildir/new", "Maildir/cur", "Maildir/tmp"):
            os.makedirs(os.path.join(home, sub), exist_ok=True)
            os.chown(os.path.join(home, sub), self.uid, self.gid)
            os.chmod(os.path.join(home, sub), 0o700)
        self.accounts[address] = (password, disabled, home)
        self.hashargs = hashargs
        self.compile()
        return home

    def compile(self):
        acc, pw = [], []
        for dom in sorted({a.split("@")[1] for a in self.accounts}):
            acc.append((b"D" + dom.encode(), b""))
        for a, (password, disabled, home) in sorted(self.accounts.items()):
            acc.append((b"A" + a.encode(), b"%d\0%d\0%s\0%s\0" % (self.uid, self.gid, home.encode(),
                                                                    b"d" if disabled else b"")))
            pw.append((b"P" + a.encode(), pwhash(password, *getattr(self, "hashargs", ()))))
        write_cdb(self.path("accounts", "accounts.cdb"), acc)
        write_cdb(self.path("accounts", "passwd.cdb"), pw)
        os.chmod(self.path("accounts", "passwd.cdb"), 0o600)
        os.chmod(self.path("accounts", "accounts.cdb"), 0o644)

    def deliver(self, address, body, name=None):
        """Puts a message into new/ the way yubin-local does (tmp/, then new/)."""
        home = self.accounts[address][2]
        if name is None:
            self.seq = getattr(self, "seq", 0) + 1
            t = int(time.time())
            name = "%d.M%06dP%d_%d.pop.test,S=%d" % (t, self.seq, os.getpid(), self.seq, len(body))
        tmp = os.path.join(home, "Maildir", "tmp", name)
        with open(tmp, "wb") as f:
            f.write(body)
        os.chown(tmp, self.uid, self.gid)
        os.rename(tmp, os.path.join(home, "Maildir", "new", name))
        return name

    def serve(self, cmd):
        """tcpserver on a free loopback port running cmd; returns the port."""
        for _ in range(10):
            port = free_port()
            p = subprocess.Popen(["tcpserver", "-q", "-R", "-H", "-l", "pop.test", "127.0.0.1", str(port)] + cmd,
                                 stdout=subprocess.DEVNULL, stderr=self.logf, start_new_session=True)
            up = False
            for _ in range(200):
                if p.poll() is not None:
                    break
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    up = True
                    break
                except OSError:
                    time.sleep(0.05)
            time.sleep(0.05)
            if up and p.poll() is None:
                self.procs.append(p)
                return port
            if p.poll() is None:
                os.killpg(p.pid, 15)
            p.wait()
        raise AssertionError("tcpserver did not start")

    def start(self):
        self.logf = open(self.path("log", "pop3.log"), "ab")
        login = self.path("bin", "yubin-pop3-login")
        tlsd = self.path("bin", "yubin-tlsd")
        self.port_plain = self.serve([login])
        self.port_stls = self.serve([tlsd, "-s", login])
        self.port_tls = self.serve([tlsd, login])

    def stop(self):
        for p in self.procs:
            try:
                os.killpg(p.pid, 15)
            except ProcessLookupError:
                pass
            p.wait()
        self.procs = []
        if getattr(self, "logf", None):
            self.logf.close()
            self.logf = None

    def control(self, name, value):
        with open(self.path("control", name), "w") as f:
            f.write(value)

    def log(self):
        with open(self.path("log", "pop3.log"), errors="replace") as f:
            return f.read()

    def cleanup(self):
        self.stop()
        if not os.environ.get("YUBIN_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def files(self, address):
        home = self.accounts[address][2]
        out = []
        for sub in ("new", "cur"):
            out += [sub + "/" + n for n in os.listdir(os.path.join(home, "Maildir", sub))]
        return sorted(out)


def tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Pop3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = Pop3Server()
        cls.srv.setup()
        cls.srv.control("plainloopback", "")
        cls.srv.control("popbeforesmtp", "10\n")
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def account(self, password="pw-" + "x" * 8, disabled=False):
        addr = "u%d@example.com" % random.randrange(10**8)
        self.srv.add_account(addr, password, disabled)
        return addr, password

    def pop(self, port=None, stls=False):
        p = poplib.POP3("127.0.0.1", port or self.srv.port_plain, timeout=30)
        if stls:
            p.stls(tls_context())
        return p

    def login(self, addr, pw, **kw):
        p = self.pop(**kw)
        p.user(addr)
        p.pass_(pw)
        return p

    def setUp(self):
        shutil.rmtree(self.srv.path("run", "authfail", "127.0.0.1"), ignore_errors=True)
        try:
            os.unlink(self.srv.path("run", "authfail", "127.0.0.1"))
        except FileNotFoundError:
            pass

    def raw(self, port=None):
        s = socket.create_connection(("127.0.0.1", port or self.srv.port_plain), timeout=30)
        f = s.makefile("rb")
        self.assertTrue(f.readline().startswith(b"+OK"))
        return s, f


# Messages as stored (LF line ends, a line starting with a dot, a CRLF line,
# no final newline) and what POP3 must send for them, unstuffed.
MSG1 = b"Subject: one\nFrom: a@example.com\n\nline 1\n.dot line\n..two dots\nlast\n"
MSG2 = b"Subject: two\r\n\r\nalready crlf\r\nbare cr\rinside\nno final newline"
MSG3 = b"Subject: three\n\n" + b"x" * 70 + b"\n" * 3 + b"." + b"\n"


def crlf(b):
    lines = b.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return [l[:-1] if l.endswith(b"\r") else l for l in lines]


class Commands(Pop3Test):
    def test_every_command_sizes_and_content(self):
        addr, pw = self.account()
        names = [self.srv.deliver(addr, m) for m in (MSG1, MSG2, MSG3)]
        p = self.login(addr, pw)
        want = [crlf(m) for m in (MSG1, MSG2, MSG3)]
        sizes = [sum(len(l) + 2 for l in w) for w in want]
        self.assertEqual(p.stat(), (3, sum(sizes)))
        resp, lines, _ = p.list()
        self.assertEqual([l.split() for l in lines], [[str(i + 1).encode(), str(s).encode()] for i, s in enumerate(sizes)])
        self.assertEqual(p.list(2), b"+OK 2 %d" % sizes[1])
        resp, lines, _ = p.uidl()
        self.assertEqual([l.split()[1].decode() for l in lines], names)
        self.assertEqual(p.uidl(3), b"+OK 3 " + names[2].encode())
        for i in range(3):
            resp, lines, octets = p.retr(i + 1)
            self.assertEqual(resp, b"+OK %d octets" % sizes[i])
            self.assertEqual(lines, want[i])
            self.assertEqual(octets, sizes[i])
        resp, lines, _ = p.top(1, 0)
        self.assertEqual(lines, [b"Subject: one", b"From: a@example.com", b""])
        resp, lines, _ = p.top(1, 2)
        self.assertEqual(lines, [b"Subject: one", b"From: a@example.com", b"", b"line 1", b".dot line"])
        self.assertTrue(p.noop().startswith(b"+OK"))
        caps = p.capa()
        for c in ("TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"):
            self.assertIn(c, caps)
        self.assertTrue(p.dele(2).startswith(b"+OK"))
        self.assertEqual(p.stat(), (2, sizes[0] + sizes[2]))
        with self.assertRaisesRegex(poplib.error_proto, "deleted"):
            p.retr(2)
        self.assertTrue(p.rset().startswith(b"+OK"))
        self.assertEqual(p.stat(), (3, sum(sizes)))
        self.assertTrue(p.quit().startswith(b"+OK"))
        # new/ moved to cur/ with the info ":2,", nothing deleted
        self.assertEqual(self.srv.files(addr), sorted("cur/" + n + ":2," for n in names))

    def test_bad_commands_get_clear_errors(self):
        addr, pw = self.account()
        self.srv.deliver(addr, MSG1)
        s, f = self.raw()
        for cmd, want in ((b"FOO", b"-ERR unknown command"), (b"STAT", b"-ERR log in first"),
                          (b"USER", b"-ERR syntax error in USER"), (b"AUTH CRAM-MD5", b"-ERR unsupported"),
                          (b"X" * 3000, b"-ERR line too long")):
            s.sendall(cmd + b"\r\n")
            self.assertTrue(f.readline().startswith(want), cmd[:20])
        s.sendall(b"USER %s\r\nPASS %s\r\n" % (addr.encode(), pw.encode()))
        self.assertTrue(f.readline().startswith(b"+OK"))
        self.assertTrue(f.readline().startswith(b"+OK maildrop has 1 messages"))
        for cmd, want in ((b"RETR x", b"-ERR syntax error in RETR"), (b"RETR 2", b"-ERR no such message"),
                          (b"RETR 0", b"-ERR no such message"), (b"TOP 1", b"-ERR syntax error in TOP"),
                          (b"LIST 1 2", b"-ERR syntax error in LIST"), (b"DELE 99999999999", b"-ERR syntax"),
                          (b"USER a", b"-ERR command not valid after login"), (b"BOGUS", b"-ERR unknown"),
                          (b"X" * 3000, b"-ERR line too long"), (b"stat", b"+OK 1 ")):
            s.sendall(cmd + b"\r\n")
            self.assertTrue(f.readline().startswith(want), cmd[:20])
        s.sendall(b"QUIT\r\n")
        self.assertTrue(f.readline().startswith(b"+OK"))
        s.close()

    def test_pipelined_commands_after_login(self):
        addr, pw = self.account()
        self.srv.deliver(addr, MSG1)
        s, f = self.raw()
        s.sendall(b"CAPA\r\nUSER %s\r\nPASS %s\r\nSTAT\r\nUIDL 1\r\nQUIT\r\n" % (addr.encode(), pw.encode()))
        out = f.read().decode()
        self.assertIn("PIPELINING", out)
        self.assertIn("+OK maildrop has 1 messages", out)
        self.assertIn("+OK 1 %d" % sum(len(l) + 2 for l in crlf(MSG1)), out)
        self.assertIn("+OK 1 ", out)
        self.assertTrue(out.rstrip().endswith("deleted, bye"), out)

    def test_idle_session_times_out_and_deletes_nothing(self):
        addr, pw = self.account()
        self.srv.deliver(addr, MSG1)
        self.srv.control("pop3timeout", "10\n")
        try:
            s, f = self.raw()
            s.sendall(b"USER %s\r\nPASS %s\r\nDELE 1\r\n" % (addr.encode(), pw.encode()))
            self.assertTrue(f.readline().startswith(b"+OK"))
            self.assertTrue(f.readline().startswith(b"+OK maildrop"))
            self.assertTrue(f.readline().startswith(b"+OK message 1 deleted"))
            t0 = time.time()
            self.assertEqual(f.readline(), b"-ERR autologout: idle too long\r\n")
            self.assertEqual(f.readline(), b"")
            self.assertGreaterEqual(time.time() - t0, 9)
            s.close()
        finally:
            os.unlink(self.srv.path("control", "pop3timeout"))
        self.assertEqual(len(self.srv.files(addr)), 1)


class Maildrop(Pop3Test):
    def test_uidl_stable_across_sessions_and_deliveries(self):
        addr, pw = self.account()
        first = [self.srv.deliver(addr, m) for m in (MSG1, MSG2)]
        p = self.login(addr, pw)
        u1 = dict(l.split()[::-1] for l in p.uidl()[1])
        p.quit()
        later = self.srv.deliver(addr, MSG3)
        p = self.login(addr, pw)
        u2 = dict(l.split()[::-1] for l in p.uidl()[1])
        p.quit()
        for n in first:
            self.assertEqual(u1[n.encode()], u2[n.encode()])
        self.assertIn(later.encode(), u2)
        self.assertEqual(len(u2), 3)
        # the index made the second session read only the new message
        self.assertIn("messages=3 octets=", self.srv.log())
        self.assertRegex(self.srv.log(), r"messages=3 octets=\d+ measured=1")

    def test_dele_applies_only_at_quit(self):
        addr, pw = self.account()
        for m in (MSG1, MSG2, MSG3):
            self.srv.deliver(addr, m)
        p = self.login(addr, pw)
        uid = p.uidl(2).split()[2]
        p.dele(2)
        self.assertEqual(len(self.srv.files(addr)), 3)
        p.quit()
        files = self.srv.files(addr)
        self.assertEqual(len(files), 2)
        self.assertFalse(any(uid.decode() in f for f in files))
        p = self.login(addr, pw)
        self.assertEqual(p.stat()[0], 2)
        p.quit()

    def test_dropped_session_deletes_nothing(self):
        addr, pw = self.account()
        for m in (MSG1, MSG2):
            self.srv.deliver(addr, m)
        p = self.login(addr, pw)
        p.dele(1)
        p.dele(2)
        p.sock.shutdown(socket.SHUT_RDWR)
        p.sock.close()
        p.file.close()
        time.sleep(0.5)
        self.assertEqual(len(self.srv.files(addr)), 2)
        p = self.login(addr, pw)
        self.assertEqual(p.stat()[0], 2)
        p.quit()

    def test_second_session_gets_in_use(self):
        addr, pw = self.account()
        self.srv.deliver(addr, MSG1)
        p = self.login(addr, pw)
        q = self.pop()
        q.user(addr)
        with self.assertRaisesRegex(poplib.error_proto, r"\[IN-USE\]"):
            q.pass_(pw)
        q.quit()
        p.quit()
        q = self.login(addr, pw)
        self.assertEqual(q.stat()[0], 1)
        q.quit()
        self.assertIn("login in-use", self.srv.log())


def b64(s):
    import base64
    return base64.b64encode(s).decode()


class Login(Pop3Test):
    def test_wrong_password_is_delayed_more_each_time(self):
        addr, pw = self.account()
        times = []
        for _ in range(2):
            p = self.pop()
            p.user(addr)
            t0 = time.time()
            with self.assertRaisesRegex(poplib.error_proto, r"^b'-ERR \[AUTH\]"):
                p.pass_("wrong-password")
            times.append(time.time() - t0)
            p.quit()
        self.assertGreaterEqual(times[0], 0.9)
        self.assertGreaterEqual(times[1], 1.9)
        self.assertGreater(times[1], times[0])
        # unknown users get the same answer
        p = self.pop()
        p.user("nobody@example.com")
        with self.assertRaisesRegex(poplib.error_proto, r"\[AUTH\] invalid user name or password"):
            p.pass_("x")
        p.quit()
        self.assertIn("login failed ip=127.0.0.1 user=%s reason=credentials failures=1" % addr, self.srv.log())
        self.assertNotIn("wrong-password", self.srv.log())
        # a successful login clears the count
        p = self.login(addr, pw)
        p.quit()
        self.assertFalse(os.path.exists(self.srv.path("run", "authfail", "127.0.0.1")))

    def test_lockout_after_ten_failures(self):
        with open(self.srv.path("run", "authfail", "127.0.0.1"), "w") as f:
            f.write("10\n")
        addr, pw = self.account()
        p = self.pop()
        p.user(addr)
        with self.assertRaisesRegex(poplib.error_proto, r"\[SYS/TEMP\] too many failed logins"):
            p.pass_(pw)
        p.quit()

    def test_disabled_account_refused(self):
        addr, pw = self.account(disabled=True)
        p = self.pop()
        p.user(addr)
        with self.assertRaisesRegex(poplib.error_proto, r"\[AUTH\] this account is disabled"):
            p.pass_(pw)
        p.quit()

    def test_auth_plain_with_and_without_initial_response(self):
        addr, pw = self.account()
        self.srv.deliver(addr, MSG1)
        s, f = self.raw()
        s.sendall(b"AUTH PLAIN %s\r\n" % b64(b"\0" + addr.encode() + b"\0" + pw.encode()).encode())
        self.assertTrue(f.readline().startswith(b"+OK maildrop has 1 messages"))
        s.sendall(b"QUIT\r\n")
        self.assertTrue(f.readline().startswith(b"+OK"))
        s.close()
        s, f = self.raw()
        s.sendall(b"AUTH PLAIN\r\n")
        self.assertEqual(f.readline(), b"+ \r\n")
        s.sendall(b64(addr.encode() + b"\0" + addr.encode() + b"\0" + pw.encode()).encode() + b"\r\n")
        self.assertTrue(f.readline().startswith(b"+OK maildrop has 1 messages"))
        s.sendall(b"QUIT\r\n")
        f.readline()
        s.close()
        s, f = self.raw()
        for line, want in ((b"AUTH PLAIN !!!", b"-ERR invalid base64"),
                           (b"AUTH PLAIN " + b64(b"nonul").encode(), b"-ERR malformed"),
                           (b"AUTH PLAIN " + b64(b"other@example.com\0" + addr.encode() + b"\0" + pw.encode()).encode(),
                            b"-ERR [AUTH] logging in as another user"),
                           (b"AUTH PLAIN", b"+ "), (b"*", b"-ERR authentication cancelled")):
            s.sendall(line + b"\r\n")
            self.assertTrue(f.readline().startswith(want), line)
        s.close()

    def test_plaintext_login_needs_tls_unless_allowed_on_loopback(self):
        os.unlink(self.srv.path("control", "plainloopback"))
        try:
            addr, pw = self.account()
            p = self.pop(self.srv.port_stls)
            caps = p.capa()
            self.assertIn("STLS", caps)
            self.assertNotIn("USER", caps)
            with self.assertRaisesRegex(poplib.error_proto, "use STLS"):
                p.user(addr)
            with self.assertRaisesRegex(poplib.error_proto, "use STLS"):
                p._shortcmd("AUTH PLAIN " + b64(b"\0" + addr.encode() + b"\0" + pw.encode()))
            p.stls(tls_context())
            caps = p.capa()
            self.assertNotIn("STLS", caps)
            self.assertIn("USER", caps)
            self.assertIn("SASL", caps)
            p.user(addr)
            p.pass_(pw)
            self.assertEqual(p.stat(), (0, 0))
            p.quit()
            self.assertIn("login ok ip=127.0.0.1 user=%s tls=1" % addr, self.srv.log())
            # no STLS without yubin-tlsd -s in front
            p = self.pop(self.srv.port_plain)
            self.assertNotIn("STLS", p.capa())
            with self.assertRaisesRegex(poplib.error_proto, "not available"):
                p._shortcmd("STLS")
            p.quit()
        finally:
            self.srv.control("plainloopback", "")

    def test_stls_drops_pipelined_plaintext(self):
        s = socket.create_connection(("127.0.0.1", self.srv.port_stls), timeout=30)
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"STLS\r\nUSER injected@example.com\r\n")
        self.assertTrue(f.readline().startswith(b"+OK"))
        t = tls_context().wrap_socket(s, server_hostname="pop.test")
        tf = t.makefile("rb")
        t.sendall(b"PASS x\r\n")
        self.assertTrue(tf.readline().startswith(b"-ERR USER first"))
        t.close()

    def test_pop3s_implicit_tls(self):
        addr, pw = self.account()
        self.srv.deliver(addr, MSG1)
        p = poplib.POP3_SSL("127.0.0.1", self.srv.port_tls, context=tls_context(), timeout=30)
        self.assertNotIn("STLS", p.capa())
        p.user(addr)
        p.pass_(pw)
        self.assertEqual(p.retr(1)[1], crlf(MSG1))
        p.quit()

    def test_pop_before_smtp_recorded(self):
        addr, pw = self.account()
        pbs = self.srv.path("run", "pbs", "127.0.0.1")
        if os.path.exists(pbs):
            os.utime(pbs, (1, 1))
        p = self.login(addr, pw)
        p.quit()
        # recorded before the client saw "+OK"
        self.assertGreater(os.stat(pbs).st_mtime, time.time() - 60)

    @unittest.skipUnless(is_root(), "privilege separation needs root")
    def test_login_stage_as_yubind_session_as_account(self):
        addr, pw = self.account()
        self.srv.deliver(addr, MSG1)
        p = self.login(addr, pw)
        procs = bin_processes(self.srv.dir)
        p.quit()
        yubind = pwd.getpwnam("yubind").pw_uid
        sessions = procs["yubin-pop3d"]
        self.assertEqual(len(sessions), 1)
        ppid, uids, _ = sessions[0]
        self.assertEqual(uids, [ACCOUNT_UID] * 4)
        parent = [x for x in procs["yubin-pop3-login"] if x[2] == ppid]
        self.assertEqual(len(parent), 1)
        self.assertEqual(parent[0][1], [yubind] * 4)
        home = self.srv.accounts[addr][2]
        self.assertEqual(os.stat(os.path.join(home, "Maildir", "yubin-pop3.index")).st_uid, ACCOUNT_UID)


class Clients(Pop3Test):
    def fetchmail(self, port, options):
        addr, pw = self.account()
        for m in (MSG1, MSG2, MSG3):
            self.srv.deliver(addr, m)
        work = tempfile.mkdtemp(dir=self.srv.dir)
        os.chmod(work, 0o755)
        mbox = os.path.join(work, "mbox")
        rc = os.path.join(work, "fetchmailrc")
        with open(rc, "w") as f:
            f.write('poll 127.0.0.1 service %d protocol pop3 uidl:\n  user "%s" password "%s" is "%s" here\n'
                    '  %s mda "/bin/sh -c \'cat >> %s\'"\n'
                    % (port, addr, pw, "nobody" if is_root() else pwd.getpwuid(os.getuid()).pw_name,
                       options, mbox))
        os.chmod(rc, 0o600)
        env = dict(os.environ, HOME=work, FETCHMAILHOME=work)
        kw = {}
        if is_root():
            # as root fetchmail keeps its lock in /var/run, shared with every other run
            nobody = pwd.getpwnam("nobody")
            os.chown(work, nobody.pw_uid, nobody.pw_gid)
            os.chown(rc, nobody.pw_uid, nobody.pw_gid)
            kw = dict(user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=[])
        p = subprocess.run(["fetchmail", "-f", rc, "--nodetach", "--nosyslog"], env=env,
                           capture_output=True, text=True, timeout=60, cwd=work, **kw)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(mbox, "rb") as f:
            got = f.read()
        for m in (b"Subject: one", b".dot line", b"..two dots", b"already crlf", b"no final newline"):
            self.assertIn(m, got)
        self.assertEqual(got.count(b"Subject: "), 3)
        self.assertEqual(self.srv.files(addr), [])   # fetchmail deletes what it fetched, at QUIT

    def test_fetchmail_into_mbox(self):
        self.fetchmail(self.srv.port_plain, 'sslproto ""')

    def test_fetchmail_pop3s_and_stls(self):
        before = self.srv.log().count(" tls=1")
        self.fetchmail(self.srv.port_tls, "ssl no sslcertck")
        self.fetchmail(self.srv.port_stls, "sslproto tls1.2+ no sslcertck")
        self.assertEqual(self.srv.log().count(" tls=1"), before + 2)   # both logins inside TLS

    def test_curl_pop3_pop3s_and_stls(self):
        addr, pw = self.account()
        self.srv.deliver(addr, MSG1)
        self.srv.deliver(addr, MSG2)
        base = ["curl", "-s", "-S", "--max-time", "30", "-u", "%s:%s" % (addr, pw)]
        out = subprocess.run(base + ["pop3://127.0.0.1:%d/" % self.srv.port_plain],
                             capture_output=True, check=True).stdout
        sizes = [sum(len(l) + 2 for l in crlf(m)) for m in (MSG1, MSG2)]
        self.assertEqual(out, b"1 %d\r\n2 %d\r\n" % tuple(sizes))
        out = subprocess.run(base + ["-k", "pop3s://127.0.0.1:%d/1" % self.srv.port_tls],
                             capture_output=True, check=True).stdout
        self.assertEqual(out, b"\r\n".join(crlf(MSG1)) + b"\r\n")
        out = subprocess.run(base + ["-k", "--ssl-reqd", "pop3://127.0.0.1:%d/2" % self.srv.port_stls],
                             capture_output=True, check=True).stdout
        self.assertEqual(out, b"\r\n".join(crlf(MSG2)) + b"\r\n")
        out = subprocess.run(base + ["-X", "UIDL", "pop3://127.0.0.1:%d/" % self.srv.port_plain],
                             capture_output=True, check=True).stdout
        self.assertEqual(len(out.splitlines()), 2)
        subprocess.run(base + ["-X", "DELE", "-I", "pop3://127.0.0.1:%d/1" % self.srv.port_plain],
                       capture_output=True, check=True)
        self.assertEqual(len(self.srv.files(addr)), 1)


@unittest.skipUnless(os.path.exists(os.path.join(BUILD, "yubin-smtpd")), "yubin-smtpd not built")
class PopBeforeSmtp(Pop3Test):
    def smtp_rcpt(self, port, rcpt):
        import smtplib
        s = smtplib.SMTP("127.0.0.1", port, timeout=30)
        s.ehlo("client.example")
        s.mail("someone@example.com")
        code = s.rcpt(rcpt)[0]
        s.quit()
        return code

    def test_pop3_login_opens_relaying_from_that_ip(self):
        shutil.copy(os.path.join(BUILD, "yubin-smtpd"), self.srv.path("bin", "yubin-smtpd"))
        self.srv.control("rcpthosts", "example.com\n")
        self.srv.control("greetdelay", "0\n")
        self.srv.control("me", "pop.test\n")
        port = self.srv.serve([self.srv.path("bin", "yubin-smtpd")])   # stopped with the others
        try:
            os.unlink(self.srv.path("run", "pbs", "127.0.0.1"))
        except FileNotFoundError:
            pass
        self.assertEqual(self.smtp_rcpt(port, "far@elsewhere.example"), 553)
        addr, pw = self.account()
        self.login(addr, pw).quit()
        self.assertEqual(self.smtp_rcpt(port, "far@elsewhere.example"), 250)
