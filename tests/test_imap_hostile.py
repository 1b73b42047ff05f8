"""Hostile input to the IMAP services of an instance (imap with STARTTLS,
imaps): hostile MIME in the mailbox then FETCHed, hostile commands, wrong
states, clients that vanish mid-literal and mid-IDLE, a full filesystem under
APPEND, and a password guesser.  Each answer is a clear tagged BAD or NO
(with the RFC 5530 code where there is one), the session or the next one
still works, and the sanitizer build reports nothing in the service logs."""
import os, random, re, subprocess, time, unittest

from yubintest import BUILD, is_root
from imapclient import (start_instance, new_account, starttls_session, tls_session, raw, caps,
                        san_errors)

HDR = b"From: x@example.org\nTo: y@example.org\nSubject: %s\nMIME-Version: 1.0\n"


def nested(depth):
    head = b""
    for i in range(depth):
        head += b"Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n" % (i, i)
    return HDR % b"nested" + head + b"Content-Type: text/plain\n\ndeep text\n"


def many_parts(n):
    body = b"".join(b"--p\n\nx\n" for _ in range(n))
    return HDR % b"many parts" + b"Content-Type: multipart/mixed; boundary=p\n\n" + body + b"--p--\n"


def endless_boundary():
    return (HDR % b"endless" + b"Content-Type: multipart/mixed; boundary=never\n\n--never\n"
            b"Content-Type: multipart/alternative; boundary=ever\n\n--ever\n\n" + b"line\n" * 20000)


def long_header_line():
    return HDR % (b"long " + b"a" * (1 << 20)) + b"\nbody\n"


def many_fields(n):
    return HDR % b"many fields" + b"".join(b"X-F%d: v%d\n" % (i, i) for i in range(n)) + b"\nbody\n"


def nul_bytes():
    return (b"From: x@exa\0mple.org\nTo: y@example.org\nSubject: nul\0here\n"
            b"Content-Type: multipart/mixed; boundary=\"n\0b\"\n\n--n\0b\n\0\0\0\n--n\0b--\n\0body\0\n")


def garbage():
    r = random.Random(7)
    return HDR % b"garbage" + bytes(r.randrange(128, 256) for _ in range(2000)) + b"\n\n" + \
        bytes(r.randrange(0, 256) for _ in range(50000))


def broken_base64():
    return (HDR % b"b64" + b"Content-Type: multipart/mixed; boundary=q\n\n--q\n"
            b"Content-Type: text/plain; charset=\"utf-8\n"
            b"Content-Transfer-Encoding: base64\n\n====!!!!@@@@\xff\xfe AAA=A=\n"
            b"--q\nContent-Type: message/rfc822\n\nContent-Type: multipart/mixed; boundary=\"\"\n\n--\n--q--\n")


def references_storm():
    ids = b" ".join(b"<r%d@x>" % i for i in range(100000))
    return (b"From: x@example.org\nSubject: =?utf-8?B?!!!?= =?x-unknown?Q?=FF=?= Re: Re: Fwd: loop\n"
            b"Message-ID: <loop-a@x>\nIn-Reply-To: <loop-b@x>\nReferences: " + ids + b" <loop-a@x>\n\nbody\n")


def references_loop():
    return (b"From: =?utf-8?Q?" + b"=C3=A9" * 20000 + b"?= <y@example.org>\nSubject: "
            + b"=?utf-8?B?w6k=?= " * 10000 + b"\nMessage-ID: <loop-b@x>\nReferences: <loop-a@x>\n"
            b"Date: Mon, 99 Foo 99999 99:99:99 +9999\n\nbody\n")


def huge(size):
    line = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\n"
    head = (HDR % b"huge" + b"Content-Type: multipart/mixed; boundary=h\n\n--h\n\ntext\n--h\n"
            b"Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n")
    return head + line * ((size - len(head)) // len(line)) + b"--h--\n"


def wait_until(pred, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


@unittest.skipUnless(os.path.exists(os.path.join(BUILD, "yubin-imap-login")), "IMAP not built")
class Hostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = start_instance()

    @classmethod
    def tearDownClass(cls):
        cls.inst.__exit__(None, None, None)

    def tearDown(self):
        self.assertEqual(san_errors(self.inst), [])

    def setUp(self):
        self.addr, self.pw = new_account(self.inst, "h")
        local, dom = self.addr.split("@")
        self.maildir = os.path.join(self.inst.home(dom, local), "Maildir")
        self.owner = os.stat(self.inst.home(dom, local))

    def session(self):
        return starttls_session(self.inst, self.addr, self.pw)

    def still_works(self, m=None):
        """The session (if given) and a new one both answer."""
        if m is not None:
            tag, u = raw(m, "NOOP")
            self.assertIn(b" OK", tag)
        m2 = tls_session(self.inst, self.addr, self.pw)
        typ, data = m2.select("INBOX")
        self.assertEqual(typ, "OK")
        m2.logout()

    def sessions(self):
        """The pids of this instance's yubin-imapd processes."""
        out = set()
        for pid in os.listdir("/proc"):
            try:
                if pid.isdigit() and os.readlink("/proc/%s/exe" % pid) == self.inst.path("bin", "yubin-imapd"):
                    out.add(int(pid))
            except OSError:
                pass
        return out

    def put(self, name, data, folder=None):
        d = os.path.join(self.maildir, folder) if folder else self.maildir
        p = os.path.join(d, "new", "%d.%s.hostile" % (time.time_ns(), name))
        with open(p + ".tmp", "wb") as f:
            f.write(data)
        os.chown(p + ".tmp", self.owner.st_uid, self.owner.st_gid)
        os.rename(p + ".tmp", p)

    def assert_ok_or_no(self, tag):
        self.assertRegex(tag, rb"^\S+ (OK|NO) ", tag[:300])

    # -- hostile MIME in the mailbox -------------------------------------
    def test_hostile_mime_fetch(self):
        msgs = [("nested", nested(10000)), ("parts", many_parts(100000)),
                ("endless", endless_boundary()), ("longline", long_header_line()),
                ("fields", many_fields(100000)), ("nul", nul_bytes()), ("garbage", garbage()),
                ("b64", broken_base64()), ("refs", references_storm()), ("loop", references_loop()),
                ("bigfrom", b"From: =?utf-8?B?" + b"w6nDqcOp" * 200000 + b"?=\n <a@b>\nSubject: big from\n\nb\n")]
        for name, data in msgs:
            self.put(name, data)
        m = self.session()
        typ, data = m.select("INBOX")
        self.assertEqual(data[0], b"%d" % len(msgs))
        for i, (name, data) in enumerate(msgs, 1):
            for items in ("(FLAGS RFC822.SIZE ENVELOPE)", "(BODYSTRUCTURE)", "(BODY)",
                          "(BODY.PEEK[1])", "(BODY.PEEK[1.1.1.1.1])", "(BODY.PEEK[2.MIME])",
                          "(BODY.PEEK[HEADER])", "(BODY.PEEK[TEXT]<0.2000>)",
                          "(BODY.PEEK[HEADER.FIELDS (Subject X-F99999)])"):
                tag, u = raw(m, "FETCH %d %s" % (i, items), timeout=120)
                self.assert_ok_or_no(tag)
                if tag.split()[1] == b"OK":
                    self.assertTrue(u and u[0].startswith(b"* %d FETCH (" % i), (name, items, u[:1]))
            tag, u = raw(m, "FETCH %d (RFC822.SIZE)" % i)
            size = int(re.search(rb"RFC822.SIZE (\d+)", u[0]).group(1))
            self.assertEqual(size, len(data) + data.count(b"\n") - data.count(b"\r\n"), name)
        # what a client shows for them
        tag, u = raw(m, "FETCH 4 (ENVELOPE)")
        self.assertIn(b"long aaaa", u[0])
        tag, u = raw(m, "FETCH 5 (BODY.PEEK[HEADER.FIELDS (X-F99999)])")
        self.assertIn(b"X-F99999: v99999\r\n", u[0])
        tag, u = raw(m, "FETCH 1 (BODYSTRUCTURE)")
        self.assertIn(b"MIXED", u[0].upper())
        tag, u = raw(m, "SEARCH BODY zzzz-not-there")
        self.assertEqual(tag.split()[1], b"OK")
        self.assertEqual(u, [b"* SEARCH\r\n"])
        tag, u = raw(m, "SEARCH HEADER X-F99999 v99999")
        self.assertEqual(u, [b"* SEARCH 5\r\n"])
        tag, u = raw(m, "SEARCH SUBJECT \"long aaaa\"")      # a 1 MB value: compared, not a failure
        self.assertEqual(u, [b"* SEARCH 4\r\n"], tag)
        tag, u = raw(m, "SEARCH FROM a@b")
        self.assertEqual(u, [b"* SEARCH %d\r\n" % len(msgs)], tag)
        c = caps(m)
        n = len(msgs)
        if "SORT" in c:
            for keys in ("(SUBJECT)", "(REVERSE DATE)", "(FROM TO CC)", "(ARRIVAL SIZE)", "(DISPLAYFROM)"):
                tag, u = raw(m, "SORT %s UTF-8 ALL" % keys, timeout=120)
                self.assertEqual(tag.split()[1], b"OK", (keys, tag))
                self.assertEqual(sorted(int(x) for x in u[0].split()[2:]), list(range(1, n + 1)), keys)
            tag, u = raw(m, "SORT (SUBJECT) UTF-8 " + "(" * 10000 + "ALL" + ")" * 10000)
            self.assertRegex(tag, rb"^\S+ (BAD|NO) ")
            tag, u = raw(m, "SORT (NOSUCHKEY) UTF-8 ALL")
            self.assertRegex(tag, rb"^\S+ BAD ")
        if "THREAD=REFERENCES" in c:
            for alg in ("REFERENCES", "ORDEREDSUBJECT"):
                tag, u = raw(m, "THREAD %s UTF-8 ALL" % alg, timeout=120)
                self.assertEqual(tag.split()[1], b"OK", (alg, tag))
                self.assertEqual(sorted(int(x) for x in re.findall(rb"\d+", u[0])), list(range(1, n + 1)))
        if "ESEARCH" in c:
            tag, u = raw(m, "SEARCH RETURN (MIN MAX COUNT ALL) SUBJECT loop")
            self.assertEqual(tag.split()[1], b"OK", tag)
            self.assertIn(b"COUNT 1", u[0])
            tag, u = raw(m, "SEARCH RETURN (" + "MIN " * 10000 + "MAX) ALL")
            self.assertRegex(tag, rb"^\S+ (OK|BAD) ")
        self.still_works(m)
        m.logout()

    def test_hostile_mime_through_delivery(self):
        # the same kind of messages, sent with sendmail and delivered by the instance
        msgs = [nested(10000), many_fields(20000), garbage(), references_storm()]
        for data in msgs:
            self.inst.sendmail(["-f", "x@example.org", self.addr], data)
        local, dom = self.addr.split("@")
        self.inst.wait_maildir(dom, local, len(msgs), timeout=120)
        m = self.session()
        typ, data = m.select("INBOX")
        self.assertEqual(data[0], b"%d" % len(msgs))
        tag, u = raw(m, "FETCH 1:* (ENVELOPE BODYSTRUCTURE RFC822.SIZE)", timeout=120)
        self.assertEqual(tag.split()[1], b"OK", tag)
        self.assertEqual(sum(1 for r in u if re.match(rb"\* \d+ FETCH ", r)), len(msgs))
        tag, u = raw(m, "FETCH 1:* (BODY.PEEK[1] BODY.PEEK[TEXT]<0.100>)", timeout=120)
        self.assertEqual(tag.split()[1], b"OK", tag)
        tag, u = raw(m, "SEARCH OR HEADER X-F19999 v19999 SUBJECT loop")
        self.assertEqual(u[0].split()[2:], [b"2", b"4"])
        self.still_works(m)
        m.logout()

    def test_sixty_megabytes(self):
        data = huge(60 * 1000 * 1000)
        self.put("huge", data)
        m = self.session()
        self.assertEqual(m.select("INBOX")[1][0], b"1")
        tag, u = raw(m, "FETCH 1 (RFC822.SIZE BODYSTRUCTURE ENVELOPE)", timeout=120)
        self.assertEqual(tag.split()[1], b"OK", tag)
        self.assertIn(b"RFC822.SIZE %d" % (len(data) + data.count(b"\n")), u[0])
        self.assertIn(b'"APPLICATION" "OCTET-STREAM"', u[0].upper())
        tag, u = raw(m, "FETCH 1 (BODY.PEEK[2]<0.100> BODY.PEEK[1])", timeout=120)
        self.assertIn(b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\nQUJD", u[0])
        self.assertIn(b"BODY[1] {4}\r\ntext)", u[0])
        tag, u = raw(m, "SEARCH LARGER 50000000")
        self.assertEqual(u, [b"* SEARCH 1\r\n"])
        self.still_works(m)
        m.logout()
        # a client that goes away in the middle of the 60 MB: its session ends
        before = self.sessions()
        m = self.session()
        m.select("INBOX")
        self.assertEqual(len(self.sessions() - before), 1)
        m.send(b"x1 FETCH 1 (BODY[])\r\n")
        got = 0
        while got < 1 << 20:
            got += len(m.sock.recv(65536))
        m.shutdown()
        self.assertTrue(wait_until(lambda: not (self.sessions() - before), 60), self.sessions() - before)
        self.still_works()

    # -- hostile commands --------------------------------------------------
    def test_overlong_line(self):
        m = self.session()
        m.send(b"a1 NOOP " + b"x" * 70000 + b"\r\n")
        line = m.readline()
        self.assertTrue(line.startswith(b"* BYE"), line)
        self.assertEqual(m.readline(), b"")          # and the connection closes
        self.still_works()

    def test_literal_sizes(self):
        m = self.session()
        for lit in (b"{99999999}", b"{4294967296}", b"{99999999999999999999}", b"{-1}", b"{18446744073709551617}",
                    b"{1x}", b"{}"):
            tag, u = raw(m, b'APPEND INBOX ' + lit)
            self.assertRegex(tag, rb"^\S+ BAD ", lit)
            if lit == b"{99999999}":
                self.assertIn(b"[TOOBIG]", tag)
        tag, u = raw(m, "STATUS INBOX (MESSAGES)")
        self.assertIn(b"MESSAGES 0", u[0])
        self.still_works(m)
        m.logout()

    def test_literal_plus_abuse(self):
        m = self.session()
        # many small non-synchronising literals in one command: one clear BAD
        cmd = b"NOOP" + b" {5+}\r\nhello" * 5000
        tag, u = raw(m, cmd)
        self.assertRegex(tag, rb"^\S+ BAD ")
        self.still_works(m)
        # a non-synchronising literal too big to take: the session ends at once
        m.send(b"b1 APPEND INBOX {99999999+}\r\n")
        line = m.readline()
        self.assertTrue(line.startswith(b"* BYE"), line)
        m.shutdown()
        for big in (b"{4294967296+}", b"{99999999999999999999+}"):
            m = self.session()
            # the "literal" must not be read as commands: the session ends
            m.send(b"c1 APPEND INBOX " + big + b"\r\nc2 CREATE Injected\r\n")
            out = b""
            while True:
                line = m.readline()
                if not line:
                    break
                out += line
            self.assertIn(b"* BYE", out)
            self.assertNotIn(b"c2 OK", out)
        self.assertFalse(os.path.exists(os.path.join(self.maildir, ".Injected")))
        self.still_works()

    def test_login_stage_literals(self):
        # before the login (yubin-imap-login, 8 KiB a command): a refused
        # non-synchronising literal ends the connection; its bytes are not commands
        for big in (b"{9000+}", b"{4294967296+}", b"{99999999999999999999+}"):
            m = starttls_session(self.inst)
            m.send(b"a1 LOGIN " + big + b"\r\nb1 LOGIN " + self.addr.encode() + b" " + self.pw.encode() + b"\r\n")
            out = b""
            while True:
                line = m.readline()
                if not line:
                    break
                out += line
            self.assertNotIn(b"b1 OK", out, big)
        m = starttls_session(self.inst)
        m.send(b"a2 LOGIN {9000}\r\n")                  # larger than a login command may be
        self.assertTrue(m.readline().startswith(b"* BYE"))
        self.assertEqual(m.readline(), b"")
        m = starttls_session(self.inst)
        m.send(b"a1 NOOP " + b"x" * 70000 + b"\r\n")
        self.assertTrue(m.readline().startswith(b"* BYE"))
        self.still_works()

    def test_nested_search(self):
        m = self.session()
        m.append("INBOX", None, None, b"Subject: s\r\n\r\nb\r\n")
        m.select("INBOX")
        for expr in (b"(" * 10000 + b"ALL" + b")" * 10000, b"NOT " * 10000 + b"ALL",
                     b"OR " * 5000 + b"ALL " * 5001):
            tag, u = raw(m, b"SEARCH " + expr)
            self.assertRegex(tag, rb"^\S+ (BAD|NO) ")
        tag, u = raw(m, b"SEARCH " + b"(" * 5 + b"ALL" + b")" * 5)
        self.assertEqual(u, [b"* SEARCH 1\r\n"])
        self.still_works(m)
        m.logout()

    def test_sequence_sets(self):
        m = self.session()
        for i in range(3):
            m.append("INBOX", None, None, b"Subject: s%d\r\n\r\nb\r\n" % i)
        m.select("INBOX")
        tag, u = raw(m, "FETCH 1:3 (FLAGS)")
        self.assertEqual(len(u), 3)
        tag, u = raw(m, "FETCH 1:4294967295 (FLAGS)")   # beyond the messages: BAD (RFC 3501 9.)
        self.assertRegex(tag, rb"^\S+ BAD ")
        tag, u = raw(m, "UID FETCH 1:4294967295 (FLAGS)")
        self.assertEqual(len(u), 3)
        for bad in ("4294967296", "1:4294967296", "0", "0:1", "-1", "1:", ":2", "1,,2", "99999999999999999999"):
            tag, u = raw(m, "FETCH %s (FLAGS)" % bad)
            self.assertRegex(tag, rb"^\S+ BAD ", bad)
            tag, u = raw(m, "UID FETCH %s (FLAGS)" % bad)
            self.assertRegex(tag, rb"^\S+ BAD ", bad)
        for section in ("0", "1.0", "01", "4294967296", "1.99999999999999999999"):
            tag, u = raw(m, "FETCH 1 (BODY.PEEK[%s])" % section)
            self.assertRegex(tag, rb"^\S+ BAD ", section)
        tag, u = raw(m, "FETCH 1 (BODY.PEEK[4294967295] BODY.PEEK[]<4294967295.4294967295>)")
        self.assertEqual(tag.split()[1], b"OK")
        self.assertIn(b"BODY[4294967295] {0}", u[0])
        tag, u = raw(m, "FETCH 4 (FLAGS)")      # out of range: NO or an empty OK (RFC 9051)
        self.assertRegex(tag, rb"^\S+ (BAD|NO|OK) ")
        many = ",".join("%d" % (1 + i % 3) for i in range(10000))   # 10,000 ranges
        tag, u = raw(m, "FETCH %s (FLAGS)" % many)
        if tag.split()[1] == b"BAD":
            self.assertIn(b"[LIMIT]", tag)
        else:
            self.assertEqual(tag.split()[1], b"OK")
            self.assertEqual(len(u), 3)
        # 100,000 ranges: longer than a command line may be
        m.send(b"z1 FETCH " + b",".join(b"%d:%d" % (i, i + 1) for i in range(1, 100001)) + b" (FLAGS)\r\n")
        line = m.readline()
        self.assertRegex(line, rb"^(\* BYE|z1 (BAD|NO))")
        self.still_works()

    def test_pipelined_flood_after_login(self):
        # 2,000 commands and a literal sent with the LOGIN in one go (more than the
        # login stage's 8 KiB): each answered once, in order
        m = starttls_session(self.inst)
        m.send(b"a LOGIN %s %s\r\n" % (self.addr.encode(), self.pw.encode()) +
               b"".join(b"n%d NOOP\r\n" % i for i in range(2000)) +
               b"b APPEND INBOX {5+}\r\nhello\r\nc STATUS INBOX (MESSAGES)\r\nz LOGOUT\r\n")
        out = []
        while True:
            line = m.readline()
            if not line:
                break
            out.append(line)
        tags = [l.split()[0] for l in out if not l.startswith(b"*")]
        self.assertEqual(tags, [b"a"] + [b"n%d" % i for i in range(2000)] + [b"b", b"c", b"z"])
        self.assertIn(b'* STATUS "INBOX" (MESSAGES 1)\r\n', out)

    def test_unknown_commands(self):
        m = self.session()
        for i in range(30):      # now and then, in a long session: answered, the session stays
            tag, u = raw(m, "GETQUOTAROOT INBOX")
            self.assertRegex(tag, rb"^\S+ BAD ")
            tag, u = raw(m, "NOOP")
            self.assertIn(b" OK", tag)
        for i in range(20):
            tag, u = raw(m, "XYZZY %d" % i)
            self.assertRegex(tag, rb"^\S+ BAD ")
        m.send(b"last XYZZY\r\n")   # the 21st in a row ends the session
        self.assertTrue(m.readline().startswith(b"last BAD"))
        self.assertTrue(m.readline().startswith(b"* BYE"))
        self.assertEqual(m.readline(), b"")
        self.still_works()

    def test_wrong_states(self):
        m = self.session()
        for cmd in ("FETCH 1 (FLAGS)", "UID FETCH 1 (FLAGS)", "STORE 1 +FLAGS (\\Seen)", "EXPUNGE",
                    "SEARCH ALL", "COPY 1 Trash", "MOVE 1 Trash", "CLOSE", "UNSELECT"):
            tag, u = raw(m, cmd)
            self.assertRegex(tag, rb"^\S+ BAD ", cmd)
        tag, u = raw(m, "LOGIN a b")
        self.assertRegex(tag, rb"^\S+ BAD ")
        tag, u = raw(m, "SELECT NoSuchFolder")
        self.assertIn(b"NO [NONEXISTENT]", tag)
        typ, data = m.append("NoSuchFolder", None, None, b"Subject: x\r\n\r\ny\r\n")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[TRYCREATE]", data[0])
        self.still_works(m)
        m.logout()
        # before the login: only the login stage's commands
        m = starttls_session(self.inst)
        for cmd in ("SELECT INBOX", "FETCH 1 (FLAGS)", "LIST \"\" *", "IDLE"):
            tag, u = raw(m, cmd)
            self.assertRegex(tag, rb"^\S+ BAD ", cmd)
        self.assertEqual(m.login(self.addr, self.pw)[0], "OK")
        m.logout()

    def test_selected_folder_deleted_by_another_session(self):
        other = tls_session(self.inst, self.addr, self.pw)
        for how in ("NOOP", "IDLE", "RENAME"):
            raw(other, "CREATE Work")
            other.append("Work", None, None, b"Subject: w\r\n\r\nb\r\n")
            m = self.session()
            tag, u = raw(m, "SELECT Work")
            self.assertIn(b" OK", tag)
            if how == "IDLE":
                m.send(b"i1 IDLE\r\n")
                self.assertTrue(m.readline().startswith(b"+"))
            tag, u = raw(other, "RENAME Work Gone" if how == "RENAME" else "DELETE Work")
            self.assertIn(b" OK", tag)
            if how != "IDLE":
                m.send(b"n1 NOOP\r\n")
            line = m.readline()
            while line.endswith(b" EXPUNGE\r\n"):   # IDLE may see the messages go first
                line = m.readline()
            self.assertTrue(line.startswith(b"* BYE"), (how, line))
            self.assertEqual(m.readline(), b"", how)
            if how == "RENAME":
                raw(other, "DELETE Gone")
        self.assertIn("closed reason=mailbox-gone", self.inst.log("imapd"))
        other.logout()
        self.still_works()

    def test_disconnect_mid_literal_and_mid_idle(self):
        m = self.session()
        m.select("INBOX")
        m.send(b"a1 APPEND INBOX (\\Seen) {100000}\r\n")
        self.assertTrue(m.readline().startswith(b"+"))
        m.send(b"Subject: half\r\n\r\n" + b"y" * 40000)
        m.shutdown()
        m = self.session()
        m.select("INBOX")
        tag = m._new_tag()
        m.send(tag + b" IDLE\r\n")
        self.assertTrue(m.readline().startswith(b"+"))
        m.shutdown()
        log = lambda: self.inst.log("imapd")
        self.assertTrue(wait_until(lambda: log().count("dropped") >= 2), log()[-2000:])
        m = tls_session(self.inst, self.addr, self.pw)
        typ, data = m.status("INBOX", "(MESSAGES)")
        self.assertIn(b"MESSAGES 0", data[0])      # nothing half-written was kept
        self.assertEqual(os.listdir(os.path.join(self.maildir, "tmp")), [])
        m.logout()

    @unittest.skipUnless(is_root(), "mounting a small filesystem needs root")
    def test_append_on_full_filesystem(self):
        m = self.session()
        self.assertEqual(m.create("Tiny")[0], "OK")
        m.logout()
        d = os.path.join(self.maildir, ".Tiny")
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", d], capture_output=True)
        if p.returncode != 0:
            self.skipTest("cannot mount a tmpfs here: " + p.stderr.decode())
        try:
            for sub in ("cur", "new", "tmp"):
                os.mkdir(os.path.join(d, sub), 0o700)
            open(os.path.join(d, "maildirfolder"), "w").close()
            for root, dirs, files in os.walk(d):
                for x in [root] + [os.path.join(root, f) for f in dirs + files]:
                    os.chown(x, self.owner.st_uid, self.owner.st_gid)
            m = self.session()
            big = b"Subject: too big\r\n\r\n" + (b"z" * 78 + b"\r\n") * 8000   # 640 KB
            typ, data = m.append("Tiny", None, None, big)
            self.assertEqual(typ, "NO", data)
            self.assertIn(b"[OVERQUOTA]", data[0])
            for sub in ("cur", "new", "tmp"):
                self.assertEqual(os.listdir(os.path.join(d, sub)), [], sub)
            typ, data = m.append("Tiny", None, None, b"Subject: small\r\n\r\nfits\r\n")
            self.assertEqual(typ, "OK")
            typ, data = m.status("Tiny", "(MESSAGES)")
            self.assertIn(b"MESSAGES 1", data[0])
            # COPY and MOVE into the other file system: the file is copied, not linked
            m.append("INBOX", None, None, b"Subject: keep me\r\n\r\nx\r\n")
            m.select("INBOX")
            tag, u = raw(m, "COPY 1 Tiny")
            self.assertRegex(tag, rb"^\S+ OK \[COPYUID ", tag)
            tag, u = raw(m, "MOVE 1 Tiny")
            self.assertIn(b"* 1 EXPUNGE\r\n", u)
            typ, data = m.status("Tiny", "(MESSAGES)")
            self.assertIn(b"MESSAGES 3)", data[0])
            tag, u2 = raw(m, "SEARCH SUBJECT \"keep me\"")
            self.assertEqual(u2, [b"* SEARCH\r\n"])
            m.select("Tiny")
            typ, data = m.search(None, "SUBJECT", "\"keep me\"")
            self.assertEqual(data, [b"2 3"])
            typ, data = m.fetch("3", "(BODY.PEEK[TEXT])")
            self.assertEqual(data[0][1], b"x\r\n")
            m.logout()
        finally:
            subprocess.run(["umount", "-l", d], capture_output=True)
        self.still_works()

    def test_password_guessing_lockout(self):
        import threading
        authfail = self.inst.path("run", "authfail", "127.0.0.1")
        results = []

        def guess():
            m = starttls_session(self.inst)
            try:
                m.login(self.addr, "wrong-password")
                results.append("OK")
            except m.error as e:
                results.append(str(e))
            m.logout()

        try:
            threads = [threading.Thread(target=guess) for _ in range(9)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(120)
            self.assertEqual(len(results), 9)
            self.assertTrue(all("AUTHENTICATIONFAILED" in r for r in results), results)
            guess()                                       # the 10th failure
            self.assertIn("AUTHENTICATIONFAILED", results[-1])
            t = time.time()
            guess()                                       # the 11th: refused without checking
            self.assertIn("UNAVAILABLE", results[-1])
            m = starttls_session(self.inst)
            with self.assertRaises(m.error) as e:         # even the right password, for now
                m.login(self.addr, self.pw)
            self.assertIn("UNAVAILABLE", str(e.exception))
            self.assertLess(time.time() - t, 10)
            m.logout()
            self.assertIn("reason=too-many-failures", self.inst.log("imapd"))
            self.assertNotIn("wrong-password", self.inst.log("imapd"))
        finally:
            try:
                os.unlink(authfail)
            except FileNotFoundError:
                pass
        self.still_works()


if __name__ == "__main__":
    unittest.main()
