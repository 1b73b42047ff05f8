"""yubin-tcpd and yubin-smtpd as a client on the internet sees them.

SmtpdRig builds a small instance by hand in a temporary directory: bin/ holds
copies of the real yubin-tcpd and yubin-smtpd, control/ and accounts/ are
written here, and bin/yubin-queue is a stand-in injector that exists only in
the test's directory: it stores each message and envelope it is given under
out/ (or exits with the code in out/exitcode), so these tests see exactly
what smtpd hands to the queue.  The end-to-end class at the bottom uses the
real instance (yubin-setup, yubin-queue, yubin-send, yubin-local) once those
programs are built, and checks the Maildir.
"""
import glob, os, pwd, random, shutil, signal, smtplib, socket, struct, subprocess, sys
import tempfile, threading, time, unittest

BUILD = os.environ.get("YUBIN_BUILD") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "build", "san")
PYTHON = "/usr/bin/python3"

FAKE_QUEUE = r'''#!/usr/bin/python3
# Test stand-in for yubin-queue: the qmail-queue interface, message on fd 0,
# envelope on fd 1; stores both under ROOT/out/.
import os, sys
out = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(sys.argv[0]))), "out")
msg = sys.stdin.buffer.read()
env = b""
while True:
    b = os.read(1, 65536)
    if not b:
        break
    env += b
try:
    with open(os.path.join(out, "exitcode")) as f:
        code = int(f.read())
    if code:
        sys.exit(code)
except FileNotFoundError:
    pass
if not env.endswith(b"\0\0") or not env.startswith(b"F"):
    sys.exit(91)
name = "%d.%d" % (os.getpid(), len(os.listdir(out)))
with open(os.path.join(out, name + ".env"), "wb") as f:
    f.write(env)
with open(os.path.join(out, name + ".tmp"), "wb") as f:
    f.write(msg)
os.rename(os.path.join(out, name + ".tmp"), os.path.join(out, name + ".msg"))
'''


def cdb_hash(key):
    h = 5381
    for c in key:
        h = ((h << 5) + h) & 0xffffffff
        h ^= c
    return h


def write_cdb(path, records):
    """A cdb file (D. J. Bernstein's format, as tinycdb reads it)."""
    tables = [[] for _ in range(256)]
    body = bytearray()
    pos = 2048
    for k, v in records:
        h = cdb_hash(k)
        tables[h & 255].append((h, pos))
        rec = struct.pack("<II", len(k), len(v)) + k + v
        body += rec
        pos += len(rec)
    header = bytearray()
    tail = bytearray()
    for t in tables:
        n = len(t) * 2
        header += struct.pack("<II", pos + len(tail), n)
        slots = [(0, 0)] * n
        for h, p in t:
            i = (h >> 8) % n
            while slots[i][1] != 0:
                i = (i + 1) % n
            slots[i] = (h, p)
        for h, p in slots:
            tail += struct.pack("<II", h, p)
    with open(path, "wb") as f:
        f.write(bytes(header) + bytes(body) + bytes(tail))


def free_port():
    for _ in range(50):
        p = random.randrange(20000, 60000)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port")


class SmtpdRig:
    """A hand-built instance running yubin-tcpd + yubin-smtpd on a loopback port."""

    def __init__(self, build=BUILD, greetdelay=0, accounts=(), rcpthosts=(), extra_control=None):
        self.build = build
        self.dir = tempfile.mkdtemp(prefix="yubin-smtpd-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        for d in ("bin", "control", "accounts", "out", "log"):
            os.makedirs(self.path(d))
        os.chmod(self.path("out"), 0o777)
        for prog in ("yubin-tcpd", "yubin-smtpd"):
            shutil.copy(os.path.join(build, prog), self.path("bin", prog))
        with open(self.path("bin", "yubin-queue"), "w") as f:
            f.write(FAKE_QUEUE)
        os.chmod(self.path("bin", "yubin-queue"), 0o755)
        self.control("me", "mx.yubin.test\n")
        self.control("greetdelay", f"{greetdelay}\n")
        self.control("rcpthosts", "".join(h + "\n" for h in rcpthosts))
        self.control("listen", "127.0.0.1\n")
        for k, v in (extra_control or {}).items():
            self.control(k, v)
        self.set_accounts(accounts)
        self.port = None
        self.proc = None
        # As root the sessions run as an unprivileged user, as in production.
        self.user = "nobody" if os.geteuid() == 0 else pwd.getpwuid(os.getuid()).pw_name

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def control(self, name, value):
        with open(self.path("control", name), "w") as f:
            f.write(value)

    def set_accounts(self, accounts):
        recs = []
        for dom in sorted({a.split("@")[1] for a in accounts}):
            recs.append((b"D" + dom.encode(), b""))
        for a in accounts:
            name, dom = a.split("@")
            recs.append((b"A" + a.encode(), f"1000\0001000\000/nonexistent/{dom}/{name}\000\0".encode()))
        write_cdb(self.path("accounts", "accounts.cdb"), recs)

    def access(self, text):
        self.control("access", text)
        subprocess.run([self.path("bin", "yubin-tcpd"), "-C"], check=True, capture_output=True)

    def start(self, *tcpd_args):
        self.port = free_port()
        self.logf = open(self.path("log", "current"), "ab")
        rd, wr = os.pipe()
        self.proc = subprocess.Popen(
            [self.path("bin", "yubin-tcpd"), "-u", self.user, "-d", str(wr)] + list(tcpd_args) +
            [str(self.port), self.path("bin", "yubin-smtpd")],
            stdout=self.logf, stderr=self.logf, pass_fds=(wr,), start_new_session=True,
            env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
        os.close(wr)
        # readiness: one newline on the notification descriptor once it listens
        with os.fdopen(rd, "rb") as r:
            ready = r.read(1)
        if ready != b"\n":
            raise AssertionError("yubin-tcpd did not become ready\n" + self.log())
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def cleanup(self):
        self.stop()
        if not os.environ.get("YUBIN_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(self.path("log", "current"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, needle, timeout=10):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if needle in self.log():
                return
            time.sleep(0.02)
        raise AssertionError(f"{needle!r} not in the log:\n{self.log()[-3000:]}")

    def queued(self):
        """[(envelope bytes, message bytes)] in the order they were queued."""
        out = []
        for m in sorted(glob.glob(self.path("out", "*.msg")), key=os.path.getmtime):
            with open(m, "rb") as f:
                msg = f.read()
            with open(m[:-4] + ".env", "rb") as f:
                env = f.read()
            out.append((env, msg))
        return out

    def clear_queue(self):
        for f in glob.glob(self.path("out", "*")):
            os.unlink(f)

    def smtp(self, **kw):
        return smtplib.SMTP("127.0.0.1", self.port, local_hostname="client.yubin.test", timeout=10, **kw)

    def raw(self):
        return RawClient(self.port)


class RawClient:
    """A byte-exact SMTP client for what smtplib will not send."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data if isinstance(data, bytes) else data.encode())

    def reply(self):
        """One complete (possibly multi-line) reply: (code, text)."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.s.recv(65536)
                if not chunk:
                    raise EOFError(b"".join(lines) + self.buf)
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line)
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), b"\n".join(l[4:] for l in lines).decode(errors="replace")

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def closed(self, timeout=5):
        self.s.settimeout(timeout)
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
                self.buf += d
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.s.close()


def body_of(msg):
    return msg.split(b"\n\n", 1)[1]


class Smtpd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rig = SmtpdRig(accounts=["joe@yubin.test", "ann@yubin.test", "postmaster@yubin.test"],
                           rcpthosts=["yubin.test", "backup.test"],
                           extra_control={"databytes": "20000\n", "maxrcpt": "5\n"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.rig.cleanup()

    def setUp(self):
        self.rig.clear_queue()

    def test_ehlo_advertises_extensions(self):
        with self.rig.smtp() as s:
            code, text = s.ehlo()
            self.assertEqual(code, 250)
            for ext in ("PIPELINING", "8BITMIME", "SIZE 20000", "ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING"):
                self.assertIn(ext, text.decode())
            self.assertTrue(text.decode().startswith("mx.yubin.test"))
            self.assertEqual(s.help()[:5], b"2.0.0")
            self.assertEqual(s.noop(), (250, b"2.0.0 ok"))
            self.assertEqual(s.verify("joe@yubin.test")[0], 252)

    def test_message_queued_with_received_line(self):
        body = "Grüße aus Köln\r\n.leading dot\r\n..two dots\r\n" + "x" * 998 + "\r\nend\r\n"
        msg = ("From: <sender@example.org>\r\nTo: <joe@yubin.test>\r\nSubject: hello\r\n"
               "\r\n" + body).encode()
        with self.rig.smtp() as s:
            s.ehlo()
            code, text = s.mail("sender@example.org", ["BODY=8BITMIME"])
            self.assertEqual(code, 250)
            self.assertEqual(s.rcpt("joe@yubin.test")[0], 250)
            code, text = s.data(msg)
            self.assertEqual(code, 250, text)
            m = text.decode()
            self.assertRegex(m, r"^2\.0\.0 Ok: queued as [0-9a-f]{16}$")
            qid = m.split()[-1]
        [(env, stored)] = self.rig.queued()
        self.assertEqual(env, b"Fsender@example.org\0Tjoe@yubin.test\0\0")
        self.assertNotIn(b"\r", stored)
        head, rest = stored.split(b"\nFrom: ", 1)
        self.assertTrue(head.startswith(b"Received: from client.yubin.test (unknown [127.0.0.1])\n\tby mx.yubin.test"))
        self.assertIn(b"with ESMTP id " + qid.encode(), head)
        self.assertIn(b"for <joe@yubin.test>", head)
        # headers and the 8-bit body intact (smtplib dot-stuffs, smtpd unstuffs), the 998-octet line kept
        self.assertEqual(body_of(stored), body.replace("\r\n", "\n").encode())
        self.rig.wait_log(f"message id={qid} qp=")
        self.rig.wait_log(f" ip=127.0.0.1 helo=client.yubin.test from=<sender@example.org> "
                          "rcpts=1 to=<joe@yubin.test> size=")

    def test_dot_unstuffing_on_the_wire(self):
        c = self.data_session(b"Subject: dots\r\n\r\n..one\r\n...\r\n.\r\n")
        self.assertEqual(c.reply()[0], 250)
        c.cmd("QUIT")
        [(env, msg)] = self.rig.queued()
        self.assertEqual(body_of(msg), b".one\n..\n")

    def test_pipelined_session(self):
        c = self.rig.raw()
        self.assertEqual(c.reply()[0], 220)
        c.send("EHLO client.yubin.test\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<joe@yubin.test>\r\n"
               "RCPT TO:<nobody@yubin.test>\r\nRCPT TO:<ann@yubin.test>\r\nDATA\r\n")
        codes = [c.reply()[0] for _ in range(6)]
        self.assertEqual(codes, [250, 250, 250, 550, 250, 354])
        c.send("Subject: p\r\n\r\npipelined\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<ann@yubin.test>\r\nDATA\r\n")
        self.assertEqual([c.reply()[0] for _ in range(4)], [250, 250, 250, 354])
        c.send("Subject: q\r\n\r\nsecond\r\n.\r\nQUIT\r\n")
        self.assertEqual([c.reply()[0] for _ in range(2)], [250, 221])
        q = self.rig.queued()
        self.assertEqual([e for e, _ in q], [b"Fa@example.org\0Tjoe@yubin.test\0Tann@yubin.test\0\0",
                                             b"F\0Tann@yubin.test\0\0"])
        self.assertEqual(body_of(q[1][1]), b"second\n")

    def test_bdat(self):
        c = self.rig.raw()
        c.reply()
        c.cmd("EHLO client.yubin.test")
        c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<joe@yubin.test>\r\n")
        self.assertEqual([c.reply()[0] for _ in range(2)], [250, 250])
        part1 = b"Subject: chunks\r\n\r\n.no unstuffing in BDAT\r\nsplit line\r"
        part2 = b"\nlast line\r\n"
        c.send(b"BDAT %d\r\n" % len(part1) + part1)
        self.assertEqual(c.reply()[0], 250)
        c.send(b"BDAT %d LAST\r\n" % len(part2) + part2)
        code, text = c.reply()
        self.assertEqual(code, 250, text)
        self.assertIn("queued as", text)
        self.assertEqual(c.cmd("QUIT")[0], 221)
        [(env, msg)] = self.rig.queued()
        self.assertEqual(body_of(msg), b".no unstuffing in BDAT\nsplit line\nlast line\n")

    def test_bdat_out_of_sequence_is_read_and_refused(self):
        c = self.rig.raw()
        c.reply()
        c.cmd("EHLO client.yubin.test")
        c.send("BDAT 12\r\nMAIL FROM:\r\n")  # the 12 octets are chunk data, not a command
        self.assertEqual(c.reply(), (503, "5.5.1 need MAIL and RCPT first"))
        self.assertEqual(c.cmd("NOOP")[0], 250)
        self.assertEqual(self.rig.queued(), [])

    def test_rset(self):
        with self.rig.smtp() as s:
            s.ehlo()
            s.mail("a@example.org")
            s.rcpt("joe@yubin.test")
            self.assertEqual(s.rset()[0], 250)
            self.assertEqual(s.docmd("DATA")[0], 503)
            s.mail("b@example.org")
            s.rcpt("ann@yubin.test")
            self.assertEqual(s.data(b"Subject: r\r\n\r\nafter rset\r\n")[0], 250)
        [(env, msg)] = self.rig.queued()
        self.assertEqual(env, b"Fb@example.org\0Tann@yubin.test\0\0")

    def test_unknown_local_recipient(self):
        with self.rig.smtp() as s:
            s.ehlo()
            s.mail("a@example.org")
            code, text = s.rcpt("nobody@yubin.test")
            self.assertEqual((code, text[:5]), (550, b"5.1.1"))
            self.assertEqual(s.rcpt("JOE@YUBIN.TEST")[0], 250)
        self.rig.wait_log("to=<nobody@yubin.test> result=\"550\"")

    def test_out_of_sequence(self):
        with self.rig.smtp() as s:
            self.assertEqual(s.docmd("MAIL FROM:<a@example.org>"), (503, b"5.5.1 send HELO or EHLO first"))
            s.ehlo()
            self.assertEqual(s.docmd("RCPT TO:<joe@yubin.test>")[0], 503)
            self.assertEqual(s.docmd("DATA")[0], 503)
            s.mail("a@example.org")
            self.assertEqual(s.docmd("MAIL FROM:<a@example.org>")[0], 503)
            self.assertEqual(s.docmd("DATA"), (554, b"5.5.1 no valid recipients"))
            self.assertEqual(s.docmd("RCPT TO:<>")[0], 501)

    def test_null_sender_and_source_route(self):
        with self.rig.smtp() as s:
            s.ehlo()
            self.assertEqual(s.docmd("MAIL FROM:<>")[0], 250)
            self.assertEqual(s.docmd("RCPT TO:<@hop1.example,@hop2.example:joe@yubin.test>")[0], 250)
            self.assertEqual(s.data(b"Subject: bounce\r\n\r\nx\r\n")[0], 250)
        [(env, msg)] = self.rig.queued()
        self.assertEqual(env, b"F\0Tjoe@yubin.test\0\0")

    def test_smtputf8(self):
        c = self.rig.raw()
        c.reply()
        c.cmd("EHLO client.yubin.test")
        self.assertEqual(c.cmd("MAIL FROM:<jörg@exämple.org>")[0], 501)
        self.assertEqual(c.cmd("MAIL FROM:<jörg@exämple.org> SMTPUTF8")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<joe@yubin.test>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send("Subject: ü\r\n\r\nß\r\n.\r\n")
        self.assertEqual(c.reply()[0], 250)
        c.cmd("QUIT")
        [(env, msg)] = self.rig.queued()
        self.assertEqual(env, "Fjörg@exämple.org\0Tjoe@yubin.test\0\0".encode())
        self.assertIn(b"with UTF8SMTP id", msg)

    def test_size_and_databytes(self):
        with self.rig.smtp() as s:
            s.ehlo()
            code, text = s.docmd("MAIL FROM:<a@example.org> SIZE=20001")
            self.assertEqual((code, text[:5]), (552, b"5.3.4"))
            self.assertEqual(s.docmd("MAIL FROM:<a@example.org> SIZE=100")[0], 250)
            s.rcpt("joe@yubin.test")
            code, text = s.data(b"Subject: big\r\n\r\n" + (b"y" * 900 + b"\r\n") * 30)
            self.assertEqual((code, text[:5]), (552, b"5.3.4"))
            # the session goes on
            s.mail("a@example.org")
            s.rcpt("joe@yubin.test")
            self.assertEqual(s.data(b"Subject: small\r\n\r\nok\r\n")[0], 250)
        q = self.rig.queued()
        self.assertEqual(len(q), 1)
        self.assertIn(b"Subject: small", q[0][1])

    def test_too_many_recipients(self):
        with self.rig.smtp() as s:
            s.ehlo()
            s.mail("a@example.org")
            for i in range(5):
                self.assertEqual(s.rcpt("joe@yubin.test")[0], 250)
            code, text = s.rcpt("ann@yubin.test")
            self.assertEqual((code, text[:5]), (452, b"4.5.3"))
            self.assertEqual(s.data(b"Subject: five\r\n\r\nx\r\n")[0], 250)
        [(env, msg)] = self.rig.queued()
        self.assertEqual(env.count(b"\0T"), 5)

    def test_overlong_command_lines(self):
        c = self.rig.raw()
        c.reply()
        c.cmd("EHLO client.yubin.test")
        self.assertEqual(c.cmd("NOOP " + "x" * 510), (500, "5.5.2 line too long"))
        self.assertEqual(c.cmd("NOOP " + "x" * 505)[0], 250)   # 512 octets with CRLF
        self.assertEqual(c.cmd("MAIL FROM:<" + "a" * 20000 + "@example.org>"), (500, "5.5.2 line too long"))
        self.assertEqual(c.cmd("NOOP")[0], 250)
        c.send("NOOP\n")
        self.assertEqual(c.reply()[0], 500)

    def test_too_many_bad_commands(self):
        c = self.rig.raw()
        c.reply()
        for i in range(10):
            self.assertEqual(c.cmd("FOO")[0], 502)
        self.assertEqual(c.reply()[0], 421)
        self.assertTrue(c.closed())

    def data_session(self, data):
        """MAIL, RCPT, DATA, then raw data; returns the replies that follow."""
        c = self.rig.raw()
        c.reply()
        c.cmd("EHLO client.yubin.test")
        c.cmd("MAIL FROM:<a@example.org>")
        c.cmd("RCPT TO:<joe@yubin.test>")
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(data)
        return c

    def test_bare_lf_refused(self):
        c = self.data_session(b"Subject: lf\r\n\r\nbare\nline\r\n.\r\n")
        code, text = c.reply()
        self.assertEqual((code, text[:5]), (550, "5.6.0"))
        self.assertEqual(c.cmd("QUIT")[0], 221)
        self.assertEqual(self.rig.queued(), [])

    def test_bare_cr_refused(self):
        c = self.data_session(b"Subject: cr\r\n\r\nbare\rcr\r\n.\r\n")
        self.assertEqual(c.reply()[0], 550)
        self.assertEqual(self.rig.queued(), [])

    def test_smuggling_attempts(self):
        for end in (b"\n.\n", b"\r\n.\n", b"\n.\r\n", b"\r.\r\n", b"\r\n.\r"):
            self.rig.clear_queue()
            smuggled = (b"MAIL FROM:<spoof@yubin.test>\r\nRCPT TO:<ann@yubin.test>\r\nDATA\r\n"
                        b"Subject: smuggled\r\n\r\nsmuggled\r\n.\r\n")
            c = self.data_session(b"Subject: outer\r\n\r\nouter" + end + smuggled)
            # Everything up to the one real end is one (refused) message.
            code, text = c.reply()
            self.assertEqual(code, 550, (end, text))
            self.assertEqual(c.cmd("QUIT")[0], 221)
            self.assertEqual(self.rig.queued(), [], end)

    def test_client_gone_in_data(self):
        c = self.data_session(b"Subject: cut\r\n\r\nhalf a message")
        c.close()
        self.rig.wait_log("result=\"eof in data\"")
        self.assertEqual(self.rig.queued(), [])

    def test_idle_timeout(self):
        rig = SmtpdRig(extra_control={"timeoutsmtpd": "1\n"}).start()
        try:
            c = rig.raw()
            c.reply()
            t0 = time.time()
            self.assertEqual(c.reply(), (421, "4.4.2 mx.yubin.test timeout, closing connection"))
            self.assertGreater(time.time() - t0, 0.8)
            self.assertTrue(c.closed())
        finally:
            rig.cleanup()

    def test_pre_greeting_talker(self):
        rig = SmtpdRig(greetdelay=700, rcpthosts=["yubin.test"]).start()
        try:
            c = rig.raw()
            c.send("EHLO eager.example\r\n")
            code, text = c.reply()
            self.assertEqual((code, text[:5]), (554, "5.5.0"))
            self.assertTrue(c.closed())
            rig.wait_log("result=\"talked before greeting\"")
            # a patient client is served
            with rig.smtp() as s:
                self.assertEqual(s.ehlo()[0], 250)
        finally:
            rig.cleanup()

    def test_queue_exit_codes(self):
        cases = {53: (452, "4.3.1"), 31: (554, "5.3.4"), 81: (451, "4.3.0"), 91: (554, "5.5.0"), 61: (451, "4.3.0")}
        try:
            for code, (smtp, enh) in cases.items():
                with open(self.rig.path("out", "exitcode"), "w") as f:
                    f.write(str(code))
                with self.rig.smtp() as s:
                    s.ehlo()
                    s.mail("a@example.org")
                    s.rcpt("joe@yubin.test")
                    r = s.data(b"Subject: q\r\n\r\nx\r\n")
                    self.assertEqual((r[0], r[1][:5].decode()), (smtp, enh), code)
                self.rig.wait_log(f"result=\"queue exit {code}\"")
        finally:
            os.unlink(self.rig.path("out", "exitcode"))

    def test_swaks(self):
        p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(self.rig.port), "--helo",
                            "swaks.yubin.test", "--from", "s@example.org", "--to", "joe@yubin.test",
                            "--pipeline", "--header", "Subject: from swaks", "--body", "swaks body"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("queued as", p.stdout)
        [(env, msg)] = self.rig.queued()
        self.assertIn(b"Subject: from swaks", msg)
        self.assertIn(b"Received: from swaks.yubin.test", msg)

    def test_swaks_relay_refused(self):
        p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(self.rig.port),
                            "--from", "s@example.org", "--to", "victim@elsewhere.example"],
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("553 5.7.1 sorry, that domain isn't in my list of allowed rcpthosts", p.stdout)


RELAY_TRICKS = [
    "victim@sink.example",
    "victim%sink.example@yubin.test",
    "victim%sink.example@backup.test",
    "victim%sink.example@[127.0.0.1]",
    "sink.example!victim@yubin.test",
    "sink.example!victim@backup.test",
    '"victim@sink.example"@yubin.test',
    '"victim@sink.example"@backup.test',
    '"victim%sink.example"@backup.test',
    "@yubin.test:victim@sink.example",
    "@backup.test,@yubin.test:victim@sink.example",
    "victim@sink.example@yubin.test",
    "victim@[127.0.0.1]",
    "victim@[IPv6:::1]",
    "victim@yubin.test.sink.example",
    "victim@sink.example.",
    "victim@sink.example.yubin.test",
    "victim@yubin.test@sink.example",
    "victim%sink.example%yubin.test@backup.test",
    "victim@sink.example%yubin.test",
    '"victim@sink.example"',
    "victim",
    "victim@sink.example (yubin.test)",
    "victim@SINK.EXAMPLE",
    "<victim@sink.example>",
    "victim@sink.example\\@yubin.test",
    "victim%sink.example",
    "sink.example!victim",
    "victim@backup.test.sink.example",
    "victim@\u00fcsink.example",
]


class OpenRelay(unittest.TestCase):
    """The classic relay tricks from an unauthenticated client: every one is
    refused at RCPT time, nothing is queued, and the outbound sink (an SMTP
    server on loopback standing for the world) receives nothing."""

    @classmethod
    def setUpClass(cls):
        cls.sink_port = free_port()
        cls.sink_dir = tempfile.mkdtemp(prefix="yubin-sink-")
        cls.sink = subprocess.Popen([PYTHON, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{cls.sink_port}",
                                     "-c", "aiosmtpd.handlers.Mailbox", os.path.join(cls.sink_dir, "mbox")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.rig = SmtpdRig(accounts=["joe@yubin.test"], rcpthosts=["yubin.test", "backup.test"],
                           extra_control={"resolvers": "127.0.0.1:9\n",
                                          "smtproutes": f"sink.example:[127.0.0.1]:{cls.sink_port}\n"}).start()
        t0 = time.time()
        while time.time() - t0 < 10:
            try:
                socket.create_connection(("127.0.0.1", cls.sink_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)

    @classmethod
    def tearDownClass(cls):
        cls.rig.cleanup()
        cls.sink.terminate()
        cls.sink.wait()
        shutil.rmtree(cls.sink_dir, ignore_errors=True)

    def test_relay_tricks_refused(self):
        self.assertGreaterEqual(len(RELAY_TRICKS), 20)
        for trick in RELAY_TRICKS:
            c = self.rig.raw()
            c.reply()
            c.cmd("EHLO client.yubin.test")
            self.assertEqual(c.cmd("MAIL FROM:<spammer@example.org> SMTPUTF8")[0], 250)
            arg = trick if trick.startswith("<") else f"<{trick}>"
            code, text = c.cmd(f"RCPT TO:{arg}")
            self.assertIn(code, (550, 553, 501, 555), f"{trick}: {code} {text}")
            if code == 553:
                self.assertEqual(text, "5.7.1 sorry, that domain isn't in my list of allowed rcpthosts")
            self.assertEqual(c.cmd("DATA")[0], 554, trick)
            c.cmd("QUIT")
        c = self.rig.raw()
        c.reply()
        c.cmd("EHLO client.yubin.test")
        c.cmd("MAIL FROM:<spammer@example.org>")
        for trick in RELAY_TRICKS[:8]:
            self.assertEqual(c.cmd(f"RCPT TO:<{trick}>")[0], 553, trick)
        # and a message to a real recipient does not take any of them along
        self.assertEqual(c.cmd("RCPT TO:<joe@yubin.test>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send("Subject: x\r\n\r\nx\r\n.\r\n")
        self.assertEqual(c.reply()[0], 250)
        c.cmd("QUIT")
        [(env, msg)] = self.rig.queued()
        self.assertEqual(env, b"Fspammer@example.org\0Tjoe@yubin.test\0\0")
        time.sleep(0.5)
        # aiosmtpd's Mailbox handler keeps a Maildir there
        got = glob.glob(os.path.join(self.sink_dir, "mbox", "new", "*")) + \
            glob.glob(os.path.join(self.sink_dir, "mbox", "cur", "*"))
        self.assertEqual(got, [], "the sink received mail")
        # the sink does collect what reaches it (so the check above can fail)
        with smtplib.SMTP("127.0.0.1", self.sink_port, timeout=10) as s:
            s.sendmail("probe@example.org", ["probe@sink.example"], b"Subject: probe\r\n\r\nx\r\n")
        t0 = time.time()
        while time.time() - t0 < 5 and not glob.glob(os.path.join(self.sink_dir, "mbox", "new", "*")):
            time.sleep(0.05)
        self.assertEqual(len(glob.glob(os.path.join(self.sink_dir, "mbox", "new", "*"))), 1)

    def test_access_rule_sets_relayclient(self):
        rig = SmtpdRig(rcpthosts=["yubin.test"])
        try:
            rig.access("# trusted\n127.0.0.0/8 allow RELAYCLIENT=\n")
            rig.start()
            with rig.smtp() as s:
                s.ehlo()
                s.mail("a@yubin.test")
                self.assertEqual(s.rcpt("friend@sink.example")[0], 250)
                self.assertEqual(s.data(b"Subject: relayed\r\n\r\nx\r\n")[0], 250)
            [(env, msg)] = rig.queued()
            self.assertEqual(env, b"Fa@yubin.test\0Tfriend@sink.example\0\0")
            # the rules are read per connection: a deny takes effect at once
            rig.access("127.0.0.1 deny\n")
            c = rig.raw()
            self.assertTrue(c.closed())
            rig.wait_log("result=deny")
        finally:
            rig.cleanup()


class Robustness(unittest.TestCase):
    """Random mixes of commands, chunk headers, stray CR/LF/NUL and garbage,
    each sent in one go and then half-closed: every session ends by itself
    with exit 0 and no sanitizer report (the tests run the ASan/UBSan build)."""

    def test_garbage_sessions(self):
        rig = SmtpdRig(accounts=["joe@yubin.test"], rcpthosts=["yubin.test"],
                       extra_control={"databytes": "3000\n", "timeoutsmtpd": "5\n"}).start()
        pieces = [b"EHLO a.test\r\n", b"HELO a.test\r\n", b"MAIL FROM:<a@b.test>\r\n",
                  b"RCPT TO:<joe@yubin.test>\r\n", b"DATA\r\n", b"BDAT 5\r\n", b"BDAT 0 LAST\r\n",
                  b"BDAT 3 LAST\r\n", b"RSET\r\n", b"\r\n.\r\n", b".\r\n", b"\n.\n", b"NOOP\r\n",
                  b"MAIL FROM:<> SIZE=99999\r\n", b"RCPT TO:<x%y@yubin.test>\r\n", b"\r", b"\n", b"\0",
                  b"x" * 600 + b"\r\n", b"y" * 2000, b"BDAT 99999999999999999999\r\n", b"QUIT\r\n"]
        rnd = random.Random(5321)
        n = 150
        try:
            for i in range(n):
                data = b"".join(rnd.choice(pieces) if rnd.random() < 0.7 else
                                bytes(rnd.randrange(256) for _ in range(rnd.randrange(20)))
                                for _ in range(rnd.randrange(1, 30)))
                c = socket.create_connection(("127.0.0.1", rig.port), timeout=10)
                try:
                    c.sendall(data)
                    c.shutdown(socket.SHUT_WR)
                    while c.recv(65536):
                        pass
                except OSError:
                    pass
                c.close()
            t0 = time.time()
            while time.time() - t0 < 20 and rig.log().count("yubin-tcpd: info: end") < n:
                time.sleep(0.1)
            log = rig.log()
            ends = [l for l in log.splitlines() if "yubin-tcpd: info: end" in l]
            self.assertEqual(len(ends), n, log[-3000:])
            self.assertEqual([l for l in ends if not l.endswith("result=exit0")], [])
            self.assertNotIn("ERROR", log)
            self.assertNotIn("runtime error", log)
        finally:
            rig.cleanup()


class RcptHosts(unittest.TestCase):
    def test_rcpthosts_subdomains_and_cdb(self):
        rig = SmtpdRig(rcpthosts=[".sub.test", "Exact.Test"])
        try:
            rig.control("morercpthosts", "many1.test\n.wild.test\n")
            p = subprocess.run([rig.path("bin", "yubin-smtpd"), "-C"], capture_output=True, text=True,
                               env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(os.path.exists(rig.path("control", "morercpthosts.cdb")))
            rig.start()
            with rig.smtp() as s:
                s.ehlo()
                s.mail("a@example.org")
                for rcpt, code in (("x@exact.test", 250), ("x@EXACT.TEST", 250), ("x@a.exact.test", 553),
                                   ("x@a.sub.test", 250), ("x@a.b.sub.test", 250), ("x@sub.test", 553),
                                   ("x@many1.test", 250), ("x@many2.test", 553), ("x@host.wild.test", 250),
                                   ("x@wild.test", 553), ("x@notsub.test", 553)):
                    self.assertEqual(s.rcpt(rcpt)[0], code, rcpt)
        finally:
            rig.cleanup()


class PopBeforeSmtp(unittest.TestCase):
    def test_recent_login_may_relay(self):
        rig = SmtpdRig(rcpthosts=["yubin.test"], extra_control={"popbeforesmtp": "10\n"}).start()
        try:
            os.makedirs(rig.path("run", "pbs"))
            stamp = rig.path("run", "pbs", "127.0.0.1")
            with open(stamp, "w"):
                pass
            os.chmod(rig.path("run"), 0o777)
            os.chmod(rig.path("run", "pbs"), 0o777)
            with rig.smtp() as s:
                s.ehlo()
                s.mail("a@yubin.test")
                self.assertEqual(s.rcpt("far@elsewhere.example")[0], 250)
            rig.wait_log("relay=popbeforesmtp")
            old = time.time() - 11 * 60
            os.utime(stamp, (old, old))
            with rig.smtp() as s:
                s.ehlo()
                s.mail("a@yubin.test")
                self.assertEqual(s.rcpt("far@elsewhere.example")[0], 553)
        finally:
            rig.cleanup()


class Tcpd(unittest.TestCase):
    def test_per_ip_limit_and_log(self):
        rig = SmtpdRig(rcpthosts=["yubin.test"], extra_control={"concurrencyperip": "2\n"})
        try:
            rig.start("-r", "421 4.7.0 too many connections from your address")
            a, b = rig.raw(), rig.raw()
            self.assertEqual(a.reply()[0], 220)
            self.assertEqual(b.reply()[0], 220)
            c = rig.raw()
            self.assertEqual(c.reply(), (421, "4.7.0 too many connections from your address"))
            self.assertTrue(c.closed())
            rig.wait_log("result=perip-limit")
            a.cmd("QUIT")
            a.closed()
            rig.wait_log("result=exit0")
            d = rig.raw()
            self.assertEqual(d.reply()[0], 220)
            for x in (b, d):
                x.cmd("QUIT")
            log = rig.log()
            self.assertRegex(log, r"yubin-tcpd: info: end ip=127\.0\.0\.1 port=\d+ pid=\d+ result=exit0")
        finally:
            rig.cleanup()

    def test_total_limit(self):
        rig = SmtpdRig(rcpthosts=["yubin.test"], extra_control={"concurrencyincoming": "1\n"})
        try:
            rig.start()
            a = rig.raw()
            self.assertEqual(a.reply()[0], 220)
            b = rig.raw()   # waits in the backlog until a ends
            b.s.settimeout(0.5)
            with self.assertRaises(socket.timeout):
                b.s.recv(10)
            b.s.settimeout(10)
            a.cmd("QUIT")
            self.assertEqual(b.reply()[0], 220)
            b.cmd("QUIT")
        finally:
            rig.cleanup()

    def test_sigterm_lets_sessions_end(self):
        rig = SmtpdRig(accounts=["joe@yubin.test"]).start()
        try:
            c = rig.raw()
            c.reply()
            c.cmd("EHLO client.yubin.test")
            rig.proc.send_signal(signal.SIGTERM)
            rig.wait_log("stopping: waiting for 1 sessions")
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", rig.port), timeout=2)
            c.cmd("MAIL FROM:<a@example.org>")
            c.cmd("RCPT TO:<joe@yubin.test>")
            c.cmd("DATA")
            c.send("Subject: late\r\n\r\nx\r\n.\r\n")
            self.assertEqual(c.reply()[0], 250)
            c.cmd("QUIT")
            self.assertEqual(rig.proc.wait(timeout=10), 0)
            self.assertEqual(len(rig.queued()), 1)
        finally:
            rig.cleanup()

    def test_ipv6_and_environment(self):
        if not socket.has_ipv6:
            self.skipTest("no IPv6")
        try:
            socket.socket(socket.AF_INET6).bind(("::1", 0))
        except OSError:
            self.skipTest("no ::1")
        rig = SmtpdRig(accounts=["joe@yubin.test"])
        try:
            rig.control("listen", "127.0.0.1\n::1\n")
            rig.start()
            s = smtplib.SMTP("::1", rig.port, local_hostname="v6.yubin.test", timeout=10)
            self.assertEqual(s.ehlo()[1].decode().split("\n")[0], "mx.yubin.test hello [::1]")
            s.sendmail("a@example.org", ["joe@yubin.test"], b"Subject: v6\r\n\r\nx\r\n")
            s.quit()
            [(env, msg)] = rig.queued()
            self.assertIn(b"Received: from v6.yubin.test (unknown [::1])", msg)
        finally:
            rig.cleanup()

    def test_usage_and_bad_access_file(self):
        p = subprocess.run([os.path.join(BUILD, "yubin-tcpd")], capture_output=True, text=True)
        self.assertEqual(p.returncode, 100)
        p = subprocess.run([os.path.join(BUILD, "yubin-tcpd"), "-d", "9", "2525", "/bin/true"],
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 100)
        self.assertIn("notification descriptor 9 is not open", p.stderr)
        p = subprocess.run([os.path.join(BUILD, "yubin-smtpd"), "extra"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 100)
        rig = SmtpdRig()
        try:
            rig.control("access", "10.0.0.0/8 allow\nthis is not a rule\n")
            p = subprocess.run([rig.path("bin", "yubin-tcpd"), "-C"], capture_output=True, text=True)
            self.assertEqual(p.returncode, 100)
            self.assertIn("control/access line 2", p.stderr)
            self.assertFalse(os.path.exists(rig.path("control", "access.cdb")))
        finally:
            rig.cleanup()


class ReverseDns(unittest.TestCase):
    """yubin-tcpd -h: a forward-confirmed PTR name becomes TCPREMOTEHOST and
    shows in the Received line; DNS goes only to control/resolvers (a dnsmasq
    the test starts on loopback)."""

    def run_with_dns(self, records):
        port = free_port()
        dns = subprocess.Popen(["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                                "--pid-file=", "--bind-interfaces", "--listen-address=127.0.0.1",
                                f"--port={port}"] + records,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rig = SmtpdRig(accounts=["joe@yubin.test"])
        try:
            time.sleep(0.3)
            rig.control("resolvers", f"127.0.0.1:{port}\n")
            rig.start("-h")
            with rig.smtp() as s:
                s.sendmail("a@example.org", ["joe@yubin.test"], b"Subject: rdns\r\n\r\nx\r\n")
            [(env, msg)] = rig.queued()
            return msg.split(b"\n")[0].decode()
        finally:
            rig.cleanup()
            dns.terminate()
            dns.wait()

    def test_confirmed_name(self):
        line = self.run_with_dns(["--host-record=client.rdns.test,127.0.0.1"])
        self.assertEqual(line, "Received: from client.yubin.test (client.rdns.test [127.0.0.1])")

    def test_unconfirmed_name_is_not_used(self):
        line = self.run_with_dns(["--ptr-record=1.0.0.127.in-addr.arpa,liar.rdns.test"])
        self.assertEqual(line, "Received: from client.yubin.test (unknown [127.0.0.1])")

    def test_no_dns_server(self):
        rig = SmtpdRig(accounts=["joe@yubin.test"])
        try:
            rig.control("resolvers", "127.0.0.1:9\n")
            rig.control("timeoutrdns", "1000\n")
            rig.start("-h")
            t0 = time.time()
            with rig.smtp() as s:
                s.sendmail("a@example.org", ["joe@yubin.test"], b"Subject: rdns\r\n\r\nx\r\n")
            self.assertLess(time.time() - t0, 5)
            [(env, msg)] = rig.queued()
            self.assertIn(b"(unknown [127.0.0.1])", msg)
        finally:
            rig.cleanup()


class OtherFrontEnds(unittest.TestCase):
    def test_under_tcpserver(self):
        rig = SmtpdRig(accounts=["joe@yubin.test"])
        port = free_port()
        cmd = ["tcpserver", "-H", "-R", "-l", "tcp.test"]
        if os.geteuid() == 0:
            cmd += ["-u", str(pwd.getpwnam("nobody").pw_uid), "-g", str(pwd.getpwnam("nobody").pw_gid)]
        p = subprocess.Popen(cmd + ["127.0.0.1", str(port), rig.path("bin", "yubin-smtpd")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
        try:
            t0 = time.time()
            while time.time() - t0 < 10:
                try:
                    s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.yubin.test", timeout=10)
                    break
                except OSError:
                    time.sleep(0.05)
            s.ehlo()
            s.sendmail("a@example.org", ["joe@yubin.test"], b"Subject: tcpserver\r\n\r\nx\r\n")
            self.assertEqual(s.rcpt("x@elsewhere.example")[0], 503)
            s.quit()
            [(env, msg)] = rig.queued()
            self.assertEqual(env, b"Fa@example.org\0Tjoe@yubin.test\0\0")
            self.assertIn(b"[127.0.0.1]", msg)
        finally:
            p.terminate()
            p.wait()
            rig.cleanup()

    def test_local_submission_bs(self):
        """sendmail -bs: smtpd on stdin/stdout, PROTO=LOCAL, relaying allowed."""
        rig = SmtpdRig(accounts=["joe@yubin.test"])
        try:
            env = dict(os.environ, PROTO="LOCAL", LOCALUSER="webapp", RELAYCLIENT="",
                       ASAN_OPTIONS="detect_leaks=0")
            script = (b"EHLO localhost\r\nMAIL FROM:<webapp@yubin.test>\r\nRCPT TO:<far@elsewhere.example>\r\n"
                      b"DATA\r\nSubject: local\r\n\r\nhi\r\n.\r\nQUIT\r\n")
            p = subprocess.run([rig.path("bin", "yubin-smtpd")], input=script, capture_output=True,
                               env=env, timeout=30, user=rig.user if os.geteuid() == 0 else None)
            out = p.stdout.decode()
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(out.startswith("220 mx.yubin.test ESMTP"), out)
            self.assertIn("250 2.0.0 Ok: queued as", out)
            [(e, msg)] = rig.queued()
            self.assertEqual(e, b"Fwebapp@yubin.test\0Tfar@elsewhere.example\0\0")
            self.assertTrue(msg.startswith(b"Received: from local user webapp\n\tby mx.yubin.test"), msg)
        finally:
            rig.cleanup()


def full_instance_available():
    return all(os.path.exists(os.path.join(BUILD, p)) for p in
               ("yubin-setup", "yubinctl", "yubin-queue", "yubin-send", "yubin-local"))


@unittest.skipUnless(full_instance_available(), "needs yubin-setup, yubinctl, yubin-queue, yubin-send, yubin-local")
class EndToEnd(unittest.TestCase):
    """The smtpd service of a real instance, into the Maildir."""

    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from yubintest import Instance
        cls.inst = Instance().__enter__()
        cls.inst.add_account("joe@shop.example")
        cls.port = 2525 + cls.inst.port_offset

    @classmethod
    def tearDownClass(cls):
        cls.inst.__exit__(None, None, None)

    def test_delivery_into_maildir(self):
        body = "Grüße\r\n..dotted\r\n" + "z" * 998 + "\r\n"
        msg = ("From: a@example.org\r\nTo: joe@shop.example\r\nSubject: e2e\r\n\r\n" + body).encode()
        with smtplib.SMTP("127.0.0.1", self.port, local_hostname="client.example", timeout=30) as s:
            s.ehlo()
            self.assertEqual(s.rcpt("x@elsewhere.example")[0], 503)
            s.mail("a@example.org", ["BODY=8BITMIME"])
            self.assertEqual(s.rcpt("nobody@shop.example")[0], 550)
            self.assertEqual(s.rcpt("x@elsewhere.example")[0], 553)
            self.assertEqual(s.rcpt("joe@shop.example")[0], 250)
            code, text = s.data(msg)
            self.assertEqual(code, 250, text)
        [f] = self.inst.wait_maildir("shop.example", "joe", 1)
        with open(f, "rb") as fh:
            stored = fh.read()
        self.assertIn(b"Subject: e2e\n", stored)
        self.assertIn(b"Received: from client.example", stored)
        # smtplib dot-stuffs "..dotted" on the wire; the server must store it as sent.
        self.assertTrue(stored.endswith(body.replace("\r\n", "\n").encode()), stored[-200:])
        self.inst.wait_log("smtpd", "result=\"250 queued\"")
        # the smtpd log line names the injector's pid, as yubin-queue's own Received line does
        import re
        qp = re.search(rb"Received: \(yubin (\d+) invoked by uid", stored).group(1).decode()
        self.inst.wait_log("smtpd", f" qp={qp} ")

    def test_swaks_and_bdat_into_maildir(self):
        before = len(self.inst.maildir_files("shop.example", "joe"))
        p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(self.port), "--helo", "swaks.example",
                            "--from", "s@example.org", "--to", "joe@shop.example", "--pipeline",
                            "--header", "Subject: swaks e2e", "--body", "swaks body"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        c = RawClient(self.port)
        c.reply()
        c.cmd("EHLO client.example")
        c.send("MAIL FROM:<b@example.org>\r\nRCPT TO:<joe@shop.example>\r\n")
        self.assertEqual([c.reply()[0] for _ in range(2)], [250, 250])
        chunk = "Subject: bdat e2e\r\n\r\n8-bit: Grüße\r\n".encode()
        c.send(b"BDAT %d LAST\r\n" % len(chunk) + chunk)
        self.assertEqual(c.reply()[0], 250)
        c.cmd("QUIT")
        files = self.inst.wait_maildir("shop.example", "joe", before + 2)
        subjects = set()
        for f in files:
            with open(f, "rb") as fh:
                data = fh.read()
            for line in data.split(b"\n"):
                if line.startswith(b"Subject: "):
                    subjects.add(line[9:])
            if b"bdat e2e" in data:
                self.assertTrue(data.endswith("8-bit: Grüße\n".encode()))
        self.assertLessEqual({b"swaks e2e", b"bdat e2e"}, subjects)


if __name__ == "__main__":
    unittest.main()
