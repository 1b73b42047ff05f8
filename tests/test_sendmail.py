"""yubin-queue (the injector) and sendmail (yubin-inject) as black boxes:
real programs on a real instance directory, asserting on the queue files a
message leaves behind and, when the rest of the mail path is built, on the
Maildir it reaches."""
import glob, os, pwd, re, shutil, signal, stat, subprocess, sys, tempfile, time, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from yubintest import BUILD, Instance, is_root  # noqa: E402

HAVE_SETUP = os.path.exists(os.path.join(BUILD, "yubin-setup"))
HAVE_PATH = all(os.path.exists(os.path.join(BUILD, p))
                for p in ("yubin-setup", "yubinctl", "yubin-send", "yubin-local", "yubin-lspawn"))


class MiniInstance:
    """The queue part of an instance, for when yubin-setup is not built:
    bin/ with the queue programs, control/, and queue/ as doc/queue.md has it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="yubin-qtest-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        os.makedirs(self.path("bin"))
        os.makedirs(self.path("control"))
        for prog in ("yubin-queue", "yubin-inject"):
            shutil.copy2(os.path.join(BUILD, prog), self.path("bin", prog))
        os.symlink("yubin-inject", self.path("bin", "sendmail"))
        os.symlink("yubin-inject", self.path("bin", "mailq"))
        os.makedirs(self.path("queue", "lock"))
        os.mkfifo(self.path("queue", "lock", "trigger"), 0o622)
        for d in ("mess", "intd", "todo", "info", "local", "remote", "bounce"):
            for b in range(256):
                os.makedirs(self.path("queue", d, "%02x" % b))
        os.chmod(self.path("queue"), 0o750)
        self.control("me", "mx.queue.test\n")

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def control(self, name, value):
        with open(self.path("control", name), "w") as f:
            f.write(value)

    def close(self):
        if not os.environ.get("YUBIN_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


def new_instance():
    """An instance with nothing running, so the queue files stay put."""
    if HAVE_SETUP:
        inst = Instance(start=False)
        inst.setup()
        inst.close = lambda: shutil.rmtree(inst.dir, ignore_errors=True)
        return inst
    return MiniInstance()


def base_env(**extra):
    """A small environment; the sanitizer settings of the test run go along
    (LeakSanitizer cannot run in a setuid program such as yubin-queue)."""
    e = {k: v for k, v in os.environ.items() if k in ("ASAN_OPTIONS", "UBSAN_OPTIONS")}
    e.update(extra)
    return e


def queue_files(inst, kind):
    return sorted(glob.glob(inst.path("queue", kind, "*", "*")))


def read(path):
    with open(path, "rb") as f:
        return f.read()


class QueueTestBase(unittest.TestCase):
    def setUp(self):
        self.inst = new_instance()
        self.inst.control("defaultdomain", "example.org\n")

    def tearDown(self):
        self.inst.close()

    def inject(self, message, envelope, env=None):
        """Runs bin/yubin-queue with message on fd 0 and envelope on fd 1."""
        mr, mw = os.pipe()
        er, ew = os.pipe()
        p = subprocess.Popen([self.inst.path("bin", "yubin-queue")], stdin=mr, stdout=er,
                             stderr=subprocess.PIPE, env=base_env(**(env or {})), cwd="/")
        os.close(mr)
        os.close(er)
        try:
            os.write(mw, message) if len(message) < 60000 else _write_all(mw, message)
        except BrokenPipeError:
            pass
        os.close(mw)
        try:
            _write_all(ew, envelope)
        except BrokenPipeError:
            pass
        os.close(ew)
        err = p.stderr.read()
        return p.wait(), err.decode(errors="replace")

    def sendmail(self, args, message, env=None, user=None):
        cmd = [self.inst.path("bin", "sendmail")] + list(args)
        kw = {}
        if user is not None:
            pw = pwd.getpwnam(user)
            kw = dict(user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])
        e = base_env(PATH="/usr/bin:/bin")
        if env:
            e.update(env)
        p = subprocess.run(cmd, input=message if isinstance(message, bytes) else message.encode(),
                           capture_output=True, env=e, cwd="/", **kw)
        return p

    def only_message(self):
        todo = queue_files(self.inst, "todo")
        self.assertEqual(len(todo), 1, todo)
        qid = os.path.basename(todo[0])
        mess = self.inst.path("queue", "mess", qid[-2:], qid)
        return read(mess), read(todo[0]), qid

    def assertQueueEmpty(self):
        for kind in ("mess", "intd", "todo"):
            self.assertEqual(queue_files(self.inst, kind), [], kind)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def body_of(mess):
    """The message after yubin-queue's Received line."""
    first, rest = mess.split(b"\n", 1)
    assert first.startswith(b"Received: (yubin "), first
    return rest


def header_of(mess):
    return body_of(mess).split(b"\n\n", 1)[0]


def envelope_of(todo):
    """(uid, pid, sender, [rcpts]) of a todo file."""
    fields = todo.split(b"\0")
    assert fields[-2:] == [b"", b""], todo
    fields = fields[:-2]
    assert fields[0][:1] == b"u" and fields[1][:1] == b"p" and fields[2][:1] == b"F", todo
    rcpts = [f[1:].decode() for f in fields[3:]]
    assert all(f[:1] == b"T" for f in fields[3:]), todo
    return int(fields[0][1:]), int(fields[1][1:]), fields[2][1:].decode(), rcpts


class YubinQueue(QueueTestBase):
    def test_commit(self):
        msg = b"Subject: queued\n\nhello\n"
        env = b"Fshop@example.org\0Tjoe@example.com\0Tann@example.net\0\0"
        # A reader on the trigger FIFO sees yubin-queue's wake-up byte.
        trig = os.open(self.inst.path("queue", "lock", "trigger"), os.O_RDONLY | os.O_NONBLOCK)
        try:
            code, err = self.inject(msg, env)
            self.assertEqual(code, 0, err)
            self.assertEqual(err, "")
            self.assertEqual(os.read(trig, 16), b"\0")
        finally:
            os.close(trig)
        mess, todo, qid = self.only_message()
        self.assertRegex(qid, r"^[0-9a-f]{16}$")
        first = mess.split(b"\n", 1)[0].decode()
        self.assertRegex(first, r"^Received: \(yubin (\d+) invoked by uid %d\); \w{3}, \d+ \w{3} \d{4} "
                         r"\d\d:\d\d:\d\d [+-]\d{4}$" % os.getuid())
        self.assertEqual(body_of(mess), msg)
        pid = int(first.split()[2])
        self.assertEqual(todo, b"u%d\0p%d\0" % (os.getuid(), pid) + env)
        intd = self.inst.path("queue", "intd", qid[-2:], qid)
        todo_path = self.inst.path("queue", "todo", qid[-2:], qid)
        mess_path = self.inst.path("queue", "mess", qid[-2:], qid)
        self.assertTrue(os.path.samefile(intd, todo_path))
        self.assertEqual(stat.S_IMODE(os.stat(todo_path).st_mode), 0o640)
        self.assertEqual(stat.S_IMODE(os.stat(mess_path).st_mode), 0o640)

    def test_null_sender_and_binary_body(self):
        msg = bytes(range(256)) * 300 + b"\n"   # larger than one pipe buffer
        code, err = self.inject(msg, b"F\0Tpostmaster@example.org\0\0")
        self.assertEqual(code, 0, err)
        mess, todo, _ = self.only_message()
        self.assertEqual(body_of(mess), msg)
        self.assertEqual(envelope_of(todo)[2:], ("", ["postmaster@example.org"]))

    def test_databytes(self):
        self.inst.control("databytes", "100\n")
        code, err = self.inject(b"x" * 101, b"Fa@b.test\0Tc@d.test\0\0")
        self.assertEqual(code, 31, err)
        self.assertIn("databytes", err)
        self.assertQueueEmpty()
        code, err = self.inject(b"x" * 100, b"Fa@b.test\0Tc@d.test\0\0")
        self.assertEqual(code, 0, err)
        self.inst.control("databytes", "0\n")   # no limit
        code, err = self.inject(b"x" * 200000, b"Fa@b.test\0Tc@d.test\0\0")
        self.assertEqual(code, 0, err)
        self.inst.control("databytes", "lots\n")
        code, err = self.inject(b"x", b"Fa@b.test\0Tc@d.test\0\0")
        self.assertEqual(code, 55, err)

    def test_bad_envelopes(self):
        cases = [
            b"Fa@b\0\0",                       # no recipient
            b"Fa@b\0Tc@d\0\0junk",             # bytes after the end
            b"Fa@b\0Tc@d\0\0\0",
            b"Xa@b\0Tc@d\0\0",                 # not F first
            b"Fa@b\0Fc@d\0\0",
            b"Fa@b\0T\0\0",                    # empty recipient
            b"Fa@b\0Tc\n@d\0\0",               # control character
        ]
        for env in cases:
            code, err = self.inject(b"Subject: x\n\nbody\n", env)
            self.assertEqual(code, 91, (env, err))
            self.assertTrue(err.startswith("yubin-queue: fatal: "), err)
        for env in (b"", b"Fa@b\0Tc@d\0"):       # cut short: unable to read
            code, err = self.inject(b"Subject: x\n\nbody\n", env)
            self.assertEqual(code, 54, (env, err))
        self.assertQueueEmpty()

    def test_address_length(self):
        code, err = self.inject(b"x\n", b"Fa@b\0T" + b"x" * 1001 + b"\0\0")
        self.assertEqual(code, 11, err)
        code, err = self.inject(b"x\n", b"F" + b"s" * 1001 + b"\0Tc@d\0\0")
        self.assertEqual(code, 11, err)
        self.assertQueueEmpty()
        code, err = self.inject(b"x\n", b"Fa@b\0T" + b"x" * 1000 + b"\0\0")
        self.assertEqual(code, 0, err)

    def test_environment_is_ignored(self):
        # yubin-queue never runs a filter itself.
        code, err = self.inject(b"x\n", b"Fa@b\0Tc@d\0\0", env={"YUBINQUEUE": "/bin/false"})
        self.assertEqual(code, 0, err)
        self.assertEqual(len(queue_files(self.inst, "todo")), 1)

    def test_killed_injection_commits_nothing(self):
        mr, mw = os.pipe()
        er, ew = os.pipe()
        p = subprocess.Popen([self.inst.path("bin", "yubin-queue")], stdin=mr, stdout=er,
                             stderr=subprocess.DEVNULL, env=base_env())
        os.close(mr)
        os.close(er)
        os.write(mw, b"Subject: half\n\nthe first half of the message\n")
        t0 = time.time()
        while not queue_files(self.inst, "mess") and time.time() - t0 < 10:
            time.sleep(0.01)
        self.assertEqual(len(queue_files(self.inst, "mess")), 1)
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
        os.close(mw)
        os.close(ew)
        self.assertEqual(queue_files(self.inst, "todo"), [])
        self.assertEqual(queue_files(self.inst, "intd"), [])


@unittest.skipUnless(is_root() and shutil.which("mount"), "needs root to mount a small file system")
class DiskFull(QueueTestBase):
    """queue/mess on a 256 KiB tmpfs: a bigger message is a write error (53),
    temporary for sendmail (75), and leaves nothing behind."""

    def setUp(self):
        super().setUp()
        self.mess = self.inst.path("queue", "mess")
        st = os.stat(self.mess)
        bst = os.stat(os.path.join(self.mess, "00"))
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=%o,uid=%d,gid=%d"
                            % (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid), "tmpfs", self.mess],
                           capture_output=True, text=True)
        if p.returncode:
            self.skipTest("cannot mount tmpfs: " + p.stderr.strip())
        for b in range(256):
            d = os.path.join(self.mess, "%02x" % b)
            os.mkdir(d, stat.S_IMODE(bst.st_mode))
            os.chown(d, bst.st_uid, bst.st_gid)

    def tearDown(self):
        subprocess.run(["umount", self.mess], capture_output=True)
        super().tearDown()

    def test_disk_full(self):
        big = b"Subject: big\n\n" + (b"x" * 99 + b"\n") * 5000      # 500 KB
        code, err = self.inject(big, b"Fa@b.test\0Tc@d.test\0\0")
        self.assertEqual(code, 53, err)
        self.assertIn("unable to write the message", err)
        self.assertQueueEmpty()
        p = self.sendmail(["joe@example.com"], big)
        self.assertEqual(p.returncode, 75, p.stderr)
        self.assertQueueEmpty()
        code, err = self.inject(b"Subject: small\n\nfits\n", b"Fa@b.test\0Tc@d.test\0\0")
        self.assertEqual(code, 0, err)


class Sendmail(QueueTestBase):
    def test_plain(self):
        p = self.sendmail(["joe@example.com"], "Subject: plain\n\nhello\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, b"")
        mess, todo, qid = self.only_message()
        uid, _, sender, rcpts = envelope_of(todo)
        me = pwd.getpwuid(os.getuid()).pw_name
        self.assertEqual(uid, os.getuid())
        self.assertEqual(sender, me + "@example.org")
        self.assertEqual(rcpts, ["joe@example.com"])
        hdr = header_of(mess).decode()
        self.assertIn("Subject: plain\n", hdr + "\n")
        self.assertIn("\nFrom: %s@example.org" % me, "\n" + hdr)
        self.assertRegex(hdr, r"(?m)^Date: \w{3}, \d+ \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}$")
        self.assertRegex(hdr, r"(?m)^Message-ID: <[0-9a-f]{16}\.[0-9a-f]{16}@[^>]+>$")
        self.assertTrue(body_of(mess).endswith(b"\n\nhello\n"))

    def test_t_takes_to_cc_bcc_and_removes_bcc(self):
        msg = ("From: Shop <shop@example.org>\n"
               "To: \"Doe, Jane\" <jane@example.com>, team: a@example.com, (boss) b@example.com;\n"
               "Cc: carl@example.net,\n\tdora@example.net\n"
               "Bcc: hidden@example.com\n"
               "Subject: t\n\nbody\n")
        p = self.sendmail(["-t", "extra@example.com"], msg)
        self.assertEqual(p.returncode, 0, p.stderr)
        mess, todo, _ = self.only_message()
        self.assertEqual(sorted(envelope_of(todo)[3]),
                         sorted(["extra@example.com", "jane@example.com", "a@example.com", "b@example.com",
                                 "carl@example.net", "dora@example.net", "hidden@example.com"]))
        self.assertNotIn(b"hidden", mess)
        self.assertNotIn(b"Bcc", mess)
        self.assertIn(b"Cc: carl@example.net,\n\tdora@example.net\n", mess)
        self.assertEqual(header_of(mess).count(b"From:"), 1)

    def test_repeated_recipients_once(self):
        p = self.sendmail(["-t", "b@example.com", "a@example.com"],
                          "To: a@example.com, c@example.com\nCc: b@example.com\n\nb\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(envelope_of(self.only_message()[1])[3], ["b@example.com", "a@example.com", "c@example.com"])

    def test_bcc_removed_without_t(self):
        p = self.sendmail(["x@example.com"], "Bcc: secret@example.com\nSubject: s\n\nb\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        mess, todo, _ = self.only_message()
        self.assertNotIn(b"secret", mess)
        self.assertEqual(envelope_of(todo)[3], ["x@example.com"])

    def test_commas_and_spaces(self):
        p = self.sendmail(["--", "-dash@example.com", "a@example.com,b@example.com", "c@example.com d@example.com",
                           "Eve <e@example.com>, f", "g@example.com"], "Subject: c\n\nb\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        _, todo, _ = self.only_message()
        self.assertEqual(envelope_of(todo)[3], ["-dash@example.com", "a@example.com", "b@example.com",
                                                "c@example.com", "d@example.com", "e@example.com",
                                                "f@example.org", "g@example.com"])

    def test_options_after_recipients(self):
        p = self.sendmail(["joe@example.com", "-f", "late@shop.example", "-oi"], "Subject: o\n\n.\nb\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        mess, todo, _ = self.only_message()
        self.assertEqual(envelope_of(todo)[2:], ("late@shop.example", ["joe@example.com"]))
        self.assertTrue(mess.endswith(b"\n\n.\nb\n"), mess)

    def test_f_and_F(self):
        p = self.sendmail(["-f", "orders@shop.example", "-F", "Web Shop", "joe@example.com"], "Subject: f\n\nb\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        mess, todo, _ = self.only_message()
        self.assertEqual(envelope_of(todo)[2], "orders@shop.example")
        self.assertIn(b"\nFrom: \"Web Shop\" <orders@shop.example>\n", b"\n" + header_of(mess) + b"\n")

    def test_f_attached_and_null_sender(self):
        p = self.sendmail(["-fbounce@shop.example", "joe@example.com"], "Subject: f\n\nb\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(envelope_of(self.only_message()[1])[2], "bounce@shop.example")
        for f in queue_files(self.inst, "todo") + queue_files(self.inst, "intd") + queue_files(self.inst, "mess"):
            os.unlink(f)
        p = self.sendmail(["-f", "<>", "joe@example.com"], "Subject: f\n\nb\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(envelope_of(self.only_message()[1])[2], "")

    def test_existing_fields_kept(self):
        msg = ("From: Owner <owner@example.com>\nDate: Tue, 1 Jan 2030 10:00:00 +0100\n"
               "Message-ID: <fixed@example.com>\nSubject: k\n\nb\n")
        p = self.sendmail(["-F", "Ignored", "joe@example.com"], msg)
        self.assertEqual(p.returncode, 0, p.stderr)
        mess, _, _ = self.only_message()
        self.assertEqual(body_of(mess), msg.encode())

    def test_crlf_and_dot(self):
        p = self.sendmail(["joe@example.com"], b"Subject: crlf\r\n\r\nline 1\r\n.\r\nnot sent\r\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        mess, _, _ = self.only_message()
        self.assertNotIn(b"\r", mess)
        self.assertTrue(mess.endswith(b"\n\nline 1\n"), mess)
        self.assertNotIn(b"not sent", mess)

    def test_i_keeps_dot_lines(self):
        for opt in ("-i", "-oi"):
            p = self.sendmail([opt, "joe@example.com"], b"Subject: dot\n\nbefore\n.\nafter\n")
            self.assertEqual(p.returncode, 0, p.stderr)
            mess, _, _ = self.only_message()
            self.assertTrue(mess.endswith(b"\n\nbefore\n.\nafter\n"), mess)
            for f in queue_files(self.inst, "todo") + queue_files(self.inst, "intd") + queue_files(self.inst, "mess"):
                os.unlink(f)

    def test_historic_options_ignored(self):
        p = self.sendmail(["-oem", "-odb", "-odi", "-oee", "-n", "-v", "-U", "-L", "tag", "-B", "8BITMIME",
                           "-N", "never", "-R", "hdrs", "-X", "/tmp/never-written", "-bm", "joe@example.com"],
                          "Subject: h\n\nb\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(os.path.exists("/tmp/never-written"))
        _, todo, _ = self.only_message()
        self.assertEqual(envelope_of(todo)[3], ["joe@example.com"])

    def test_errors(self):
        cases = [
            ([], "Subject: none\n\nb\n", 65, "no recipients"),
            (["-t"], "Subject: none\n\nb\n", 65, "no recipients"),
            (["bad@@example.com"], "x\n", 65, "bad recipient address"),
            (["-t"], "To: a@example.com b@example.com\n\nb\n", 65, "To field"),
            (["-f", "a@b@c", "x@example.com"], "x\n", 65, "bad sender"),
            (["-Z", "x@example.com"], "x\n", 64, "usage"),
            (["-f"], "x\n", 64, "usage"),
            (["-bz"], "x\n", 64, "usage"),
        ]
        for args, msg, code, text in cases:
            p = self.sendmail(args, msg)
            self.assertEqual(p.returncode, code, (args, p.stderr))
            err = p.stderr.decode()
            self.assertTrue(err.startswith("sendmail: fatal: "), err)
            self.assertIn(text, err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertQueueEmpty()

    def test_databytes_maps_to_dataerr(self):
        self.inst.control("databytes", "50\n")
        p = self.sendmail(["joe@example.com"], "Subject: big\n\n" + "x" * 100 + "\n")
        self.assertEqual(p.returncode, 65, p.stderr)
        self.assertIn(b"exit code 31", p.stderr)
        self.assertQueueEmpty()

    def test_filter(self):
        out = self.inst.path("filter-out")
        filt = self.inst.path("filter")
        with open(filt, "w") as f:
            f.write("#!/usr/bin/python3\n"
                    "import os, sys\n"
                    "msg = sys.stdin.buffer.read()\n"
                    "env = b''\n"
                    "while True:\n"
                    "    b = os.read(1, 65536)\n"
                    "    if not b: break\n"
                    "    env += b\n"
                    "open(%r + '.msg', 'wb').write(msg)\n"
                    "open(%r + '.env', 'wb').write(env)\n"
                    "sys.exit(int(os.environ.get('FILTER_EXIT', '0')))\n" % (out, out))
        os.chmod(filt, 0o755)
        p = self.sendmail(["-f", "a@shop.example", "joe@example.com"], "Subject: filtered\n\nb\n",
                          env={"YUBINQUEUE": filt})
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(read(out + ".env"), b"Fa@shop.example\0Tjoe@example.com\0\0")
        self.assertIn(b"Subject: filtered\n", read(out + ".msg"))
        self.assertQueueEmpty()                  # the filter did not pass it on
        for code, want in ((31, 65), (53, 75), (71, 75), (81, 70)):
            p = self.sendmail(["joe@example.com"], "Subject: f\n\nb\n",
                              env={"YUBINQUEUE": filt, "FILTER_EXIT": str(code)})
            self.assertEqual(p.returncode, want, (code, p.stderr))
        p = self.sendmail(["joe@example.com"], "x\n", env={"YUBINQUEUE": self.inst.path("no-such-filter")})
        self.assertEqual(p.returncode, 69, p.stderr)

    def test_mailq(self):
        p = self.sendmail(["-f", "shop@example.org", "joe@example.com", "ann@example.net"], "Subject: q\n\nb\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        _, _, qid = self.only_message()
        for cmd in ([self.inst.path("bin", "mailq")], [self.inst.path("bin", "sendmail"), "-bp"]):
            p = subprocess.run(cmd, capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            lines = p.stdout.splitlines()
            self.assertRegex(lines[0], r"^%s \d+ \d+m from=<shop@example.org> state=todo$" % qid)
            self.assertEqual(lines[1:3], ["  to <joe@example.com>", "  to <ann@example.net>"])
            self.assertEqual(lines[-1], "1 message in the queue")

    @unittest.skipUnless(is_root(), "needs root to run as another user")
    def test_mailq_refused_to_ordinary_users(self):
        p = subprocess.run([self.inst.path("bin", "mailq")], capture_output=True, text=True,
                           user="nobody", group="nogroup", extra_groups=[])
        self.assertEqual(p.returncode, 77, p.stderr)
        self.assertEqual(p.stderr.strip(), "mailq: fatal: only the administrator may list the queue")

    def test_bs(self):
        if os.path.exists(self.inst.path("bin", "yubin-smtpd")):
            p = self.sendmail(["-bs"], "EHLO me\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<joe@example.com>\r\n"
                              "DATA\r\nSubject: bs\r\n\r\nhi\r\n.\r\nQUIT\r\n")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertRegex(p.stdout, rb"^220 ")
            self.assertIn(b"\r\n250 2.0.0 Ok: queued as ", p.stdout)
            self.assertIn(b"\r\n221 ", p.stdout)
            mess, todo, _ = self.only_message()
            self.assertEqual(envelope_of(todo)[2:], ("a@example.org", ["joe@example.com"]))
            self.assertTrue(mess.endswith(b"Subject: bs\n\nhi\n"), mess)
        else:
            p = self.sendmail(["-bs"], "QUIT\r\n")
            self.assertEqual(p.returncode, 69, p.stderr)
            self.assertIn(b"yubin-smtpd", p.stderr)


@unittest.skipUnless(HAVE_SETUP and is_root(), "needs yubin-setup and root")
class SendmailAsUser(QueueTestBase):
    def test_www_data_can_send(self):
        p = self.sendmail(["joe@example.com"], "Subject: cgi\n\nb\n", user="www-data")
        self.assertEqual(p.returncode, 0, p.stderr)
        _, todo, _ = self.only_message()
        uid, _, sender, _ = envelope_of(todo)
        self.assertEqual(uid, pwd.getpwnam("www-data").pw_uid)
        self.assertEqual(sender, "www-data@example.org")
        # Owned by yubinq, group yubin, whoever injected: yubin-send reads them by group.
        import grp
        qid = os.path.basename(queue_files(self.inst, "todo")[0])
        for kind in ("mess", "todo"):
            st = os.stat(self.inst.path("queue", kind, qid[-2:], qid))
            self.assertEqual(pwd.getpwuid(st.st_uid).pw_name, "yubinq", kind)
            self.assertEqual(grp.getgrgid(st.st_gid).gr_name, "yubin", kind)


@unittest.skipUnless(HAVE_PATH, "needs yubin-setup, yubinctl, yubin-send, yubin-local")
class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = Instance().__enter__()
        cls.inst.add_account("joe@shop.example")
        cls.inst.add_account("ann@shop.example")
        cls.inst.add_account("kim@shop.example")
        cls.inst.add_account("lou@shop.example")

    @classmethod
    def tearDownClass(cls):
        cls.inst.__exit__(None, None, None)

    def test_t_bcc_crlf_to_maildir(self):
        inst = self.inst
        msg = ("To: Kim <kim@shop.example>\r\nBcc: lou@shop.example, kim@shop.example\r\n"
               "Subject: end to end\r\n\r\nhello\r\n")
        inst.sendmail(["-t", "-F", "Shop", "-f", "orders@shop.example"], msg)
        for acct in ("kim", "lou"):
            files = inst.wait_maildir("shop.example", acct, 1)
            time.sleep(0.2)
            files = inst.maildir_files("shop.example", acct)
            self.assertEqual(len(files), 1, acct)          # kim named twice, one copy
            data = read(files[0])
            self.assertNotIn(b"\r", data)
            self.assertNotIn(b"Bcc", data)
            m = inst.read_messages("shop.example", acct)[0]
            self.assertEqual(m["Subject"], "end to end")
            self.assertEqual(m["From"], "Shop <orders@shop.example>")
            self.assertEqual(m["Return-Path"], "<orders@shop.example>")
            self.assertIn("Message-ID", m)
            self.assertIn("Date", m)
            self.assertEqual(m.get_content().strip(), "hello")

    @unittest.skipUnless(is_root(), "needs root to run as www-data")
    def test_cgi_user(self):
        inst = self.inst
        before = len(inst.maildir_files("shop.example", "ann"))
        inst.sendmail(["ann@shop.example"], "Subject: from a cgi\n\nb\n", user="www-data")
        inst.wait_maildir("shop.example", "ann", before + 1)
        subjects = [m["Subject"] for m in inst.read_messages("shop.example", "ann")]
        self.assertIn("from a cgi", subjects)

    def test_mailq_shows_deferred_remote_recipient(self):
        inst = self.inst
        before = len(inst.maildir_files("shop.example", "joe"))
        inst.sendmail(["-f", "joe@shop.example", "someone@remote.example", "joe@shop.example"],
                      "Subject: half local\n\nb\n")
        inst.wait_maildir("shop.example", "joe", before + 1)
        pattern = (r"(?m)^[0-9a-f]{16} \d+ \d+m from=<joe@shop.example> state=queued\n"
                   r"  remote <someone@remote.example>\n")
        t0 = time.time()
        while time.time() - t0 < 20:
            p = subprocess.run([inst.path("bin", "mailq")], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            if re.search(pattern, p.stdout):
                break
            time.sleep(0.1)
        self.assertRegex(p.stdout, pattern)
        self.assertNotIn("local <joe@shop.example>", p.stdout)   # delivered already


if __name__ == "__main__":
    unittest.main()
