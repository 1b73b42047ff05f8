"""IMAP through the login stage: yubin-imap-login (yubind) -> yubin-auth ->
yubin-imapd (the account's uid), under ucspi-tcp's tcpserver on loopback,
plain (STARTTLS through yubin-tlsd -s) and implicit TLS (yubin-tlsd), with
Python's imaplib, raw sockets and curl."""
import base64, imaplib, os, pwd, re, shutil, socket, subprocess, time, unittest

from yubintest import BUILD, bin_processes, is_root
from test_pop3 import ACCOUNT_UID, Pop3Server, tls_context

PROGS = ("yubin-auth", "yubin-imapd", "yubin-imap-login", "yubin-tlsd")
MSG = b"From: a@example.com\nTo: b@example.com\nSubject: imap test\n\nhello imap\n"


class ImapServer(Pop3Server):
    def setup(self):
        super().setup()
        for prog in PROGS:
            shutil.copy(os.path.join(BUILD, prog), self.path("bin", prog))
        if is_root():
            d = pwd.getpwnam("yubind")
            os.chown(self.path("bin", "yubin-auth"), 0, d.pw_gid)
            os.chmod(self.path("bin", "yubin-auth"), 0o4750)

    def start(self):
        self.logf = open(self.path("log", "pop3.log"), "ab")
        login = self.path("bin", "yubin-imap-login")
        tlsd = self.path("bin", "yubin-tlsd")
        self.port_stls = self.serve([tlsd, "-s", login])
        self.port_tls = self.serve([tlsd, login])


class ServiceCase(unittest.TestCase):
    """A fresh ImapServer for each test, LOGIN allowed over plain loopback."""
    def setUp(self):
        self.srv = ImapServer()
        self.srv.setup()
        self.srv.control("plainloopback", "")
        self.srv.start()

    def tearDown(self):
        self.srv.cleanup()


def mbsync_setup(srv, addr, pw, patterns):
    """A directory for mbsync to sync addr's mail into (mail/INBOX, folders
    beside it) and its configuration: plain IMAP on loopback, Patterns
    patterns.  Returns (directory, a function running one sync)."""
    local = srv.path("mbsync-" + addr.split("@")[0])
    os.makedirs(os.path.join(local, "mail"))
    conf = os.path.join(local, "mbsyncrc")
    with open(conf, "w") as f:
        f.write("IMAPAccount a\nHost 127.0.0.1\nPort %d\nUser %s\nPass %s\nSSLType None\n\n"
                "IMAPStore remote\nAccount a\n\n"
                "MaildirStore local\nPath %s/mail/\nInbox %s/mail/INBOX\nSubFolders Verbatim\n\n"
                "Channel ch\nFar :remote:\nNear :local:\nPatterns %s\nCreate Both\nSync All\n"
                "SyncState *\n" % (srv.port_stls, addr, pw, local, local, patterns))

    def run():
        p = subprocess.run(["mbsync", "-c", conf, "-a"], capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError("mbsync exited %d: %s" % (p.returncode, p.stdout + p.stderr))
    return local, run


@unittest.skipUnless(all(os.path.exists(os.path.join(BUILD, p)) for p in PROGS), "IMAP not built")
class ImapLogin(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = ImapServer()
        cls.srv.setup()
        cls.srv.control("plainloopback", "")
        cls.srv.control("popbeforesmtp", "10\n")
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def setUp(self):
        shutil.rmtree(self.srv.path("run", "authfail", "127.0.0.1"), ignore_errors=True)
        try:
            os.unlink(self.srv.path("run", "authfail", "127.0.0.1"))
        except FileNotFoundError:
            pass

    def account(self, password="pw-" + "y" * 8):
        addr = "i%d@example.com" % (int(time.time() * 1000) % 10**9)
        time.sleep(0.002)
        self.srv.add_account(addr, password)
        return addr, password

    def imap(self):
        return imaplib.IMAP4("127.0.0.1", self.srv.port_stls, timeout=30)

    def test_login_select_fetch(self):
        addr, pw = self.account()
        self.srv.deliver(addr, MSG)
        m = self.imap()
        typ, caps = m.capability()
        self.assertIn(b"STARTTLS", caps[0])
        self.assertIn(b"AUTH=PLAIN", caps[0])   # plainloopback: allowed on loopback
        typ, data = m.login(addr, pw)
        self.assertEqual(typ, "OK")
        self.assertIn(b"CAPABILITY", data[0])
        self.assertEqual(m.select("INBOX"), ("OK", [b"1"]))
        typ, data = m.fetch("1", "(BODY[])")
        self.assertEqual(data[0][1], MSG.replace(b"\n", b"\r\n"))
        m.logout()
        self.assertRegex(self.srv.log(), r"login ok ip=127.0.0.1 user=%s tls=0" % re.escape(addr))

    def test_pipelined_after_login_and_pop_before_smtp(self):
        addr, pw = self.account()
        self.srv.deliver(addr, MSG)
        pbs = self.srv.path("run", "pbs", "127.0.0.1")
        if os.path.exists(pbs):
            os.utime(pbs, (1, 1))
        s = socket.create_connection(("127.0.0.1", self.srv.port_stls), timeout=30)
        f = s.makefile("rb")
        self.assertTrue(f.readline().startswith(b"* OK"))
        s.sendall(b'a LOGIN "%s" "%s"\r\nb SELECT INBOX\r\nc LOGOUT\r\n' % (addr.encode(), pw.encode()))
        out = b""
        while b"c OK" not in out:
            line = f.readline()
            self.assertTrue(line, out)
            out += line
        self.assertIn(b"a OK", out)
        self.assertIn(b"* 1 EXISTS", out)
        self.assertLess(out.index(b"a OK"), out.index(b"* 1 EXISTS"))
        s.close()
        self.assertGreater(os.stat(pbs).st_mtime, time.time() - 60)

    def test_wrong_password_and_sasl_ir(self):
        addr, pw = self.account()
        m = self.imap()
        t = time.time()
        with self.assertRaises(imaplib.IMAP4.error) as e:
            m.login(addr, "wrong")
        self.assertIn("AUTHENTICATIONFAILED", str(e.exception))
        self.assertGreaterEqual(time.time() - t, 0.9)
        m.logout()
        s = socket.create_connection(("127.0.0.1", self.srv.port_stls), timeout=30)
        f = s.makefile("rb")
        f.readline()
        ir = base64.b64encode(b"\0" + addr.encode() + b"\0" + pw.encode())
        s.sendall(b"a AUTHENTICATE PLAIN " + ir + b"\r\n")
        self.assertTrue(f.readline().startswith(b"a OK"))
        s.sendall(b"b LOGOUT\r\n")
        self.assertIn(b"BYE", f.readline())
        s.close()

    def test_login_disabled_before_starttls(self):
        os.unlink(self.srv.path("control", "plainloopback"))
        try:
            addr, pw = self.account()
            m = self.imap()
            typ, caps = m.capability()
            self.assertIn(b"LOGINDISABLED", caps[0])
            self.assertNotIn(b"AUTH=PLAIN", caps[0])
            with self.assertRaises(imaplib.IMAP4.error) as e:
                m.login(addr, pw)
            self.assertIn("PRIVACYREQUIRED", str(e.exception))
            m.starttls(tls_context())
            typ, caps = m.capability()
            self.assertIn(b"AUTH=PLAIN", caps[0])
            self.assertEqual(m.login(addr, pw)[0], "OK")
            self.assertEqual(m.select("INBOX")[0], "OK")
            m.logout()
        finally:
            self.srv.control("plainloopback", "")

    def test_imaps_and_curl(self):
        addr, pw = self.account()
        self.srv.deliver(addr, MSG)
        m = imaplib.IMAP4_SSL("127.0.0.1", self.srv.port_tls, ssl_context=tls_context(), timeout=30)
        self.assertEqual(m.login(addr, pw)[0], "OK")
        self.assertEqual(m.select("INBOX"), ("OK", [b"1"]))
        m.logout()
        for url in ("imap://127.0.0.1:%d/INBOX;UID=1" % self.srv.port_stls,
                    "imaps://127.0.0.1:%d/INBOX;UID=1" % self.srv.port_tls):
            p = subprocess.run(["curl", "-s", "-k", "--max-time", "20", "-u", "%s:%s" % (addr, pw), url],
                               capture_output=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stdout, MSG.replace(b"\n", b"\r\n"))

    def test_mbsync_both_ways(self):
        addr, pw = self.account()
        self.srv.deliver(addr, MSG)
        self.srv.deliver(addr, MSG.replace(b"imap test", b"second"))
        m = self.imap()
        m.login(addr, pw)
        m.create("Work")
        m.append("Work", "(\\Seen)", None, MSG.replace(b"imap test", b"work one").replace(b"\n", b"\r\n"))
        m.logout()
        local, run = mbsync_setup(self.srv, addr, pw, "*")

        def files(folder):
            d = os.path.join(local, "mail", folder)
            return sorted(os.listdir(os.path.join(d, "cur")) + os.listdir(os.path.join(d, "new")))

        run()
        self.assertEqual(len(files("INBOX")), 2)
        self.assertEqual(len(files("Work")), 1)
        self.assertTrue(files("Work")[0].endswith(",S") or ":2,S" in files("Work")[0])
        # a message written locally goes up; a local flag change goes up too
        with open(os.path.join(local, "mail", "Work", "new", "1.local.test"), "wb") as f:
            f.write(MSG.replace(b"imap test", b"from mbsync"))
        inbox_cur = os.path.join(local, "mail", "INBOX", "cur")
        inbox_new = os.path.join(local, "mail", "INBOX", "new")
        first = sorted(os.listdir(inbox_new) + os.listdir(inbox_cur))[0]
        src = os.path.join(inbox_new if first in os.listdir(inbox_new) else inbox_cur, first)
        os.rename(src, os.path.join(inbox_cur, first.split(":")[0] + ":2,F"))
        run()
        m = self.imap()
        m.login(addr, pw)
        m.select("Work")
        typ, data = m.search(None, "SUBJECT", '"from mbsync"')
        self.assertEqual(len(data[0].split()), 1)
        m.select("INBOX")
        typ, data = m.search(None, "FLAGGED")
        self.assertEqual(len(data[0].split()), 1)
        m.logout()
        run()   # nothing changes on a second run: UIDs are stable
        self.assertEqual(len(files("INBOX")), 2)
        self.assertEqual(len(files("Work")), 2)

    @unittest.skipUnless(is_root(), "privilege separation needs root")
    def test_session_runs_as_the_account(self):
        addr, pw = self.account()
        m = self.imap()
        m.login(addr, pw)
        m.select("INBOX")
        procs = bin_processes(self.srv.dir)
        m.logout()
        sessions = procs["yubin-imapd"]
        self.assertEqual(len(sessions), 1)
        ppid, uids, _ = sessions[0]
        self.assertEqual(uids, [ACCOUNT_UID] * 4)
        parent = [x for x in procs["yubin-imap-login"] if x[2] == ppid]
        self.assertEqual(parent[0][1], [pwd.getpwnam("yubind").pw_uid] * 4)
        home = self.srv.accounts[addr][2]
        self.assertEqual(os.stat(os.path.join(home, "Maildir", "yubin-imap.uid")).st_uid, ACCOUNT_UID)


if __name__ == "__main__":
    unittest.main()
