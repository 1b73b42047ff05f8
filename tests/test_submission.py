"""Submission (587, STARTTLS) and SMTPS (465, implicit TLS) with AUTH, the
sender policy, and STARTTLS command injection, through the real services:
yubin-tcpd -> yubin-tlsd -> yubin-smtpd -> yubin-queue -> delivery."""
import base64, hashlib, hmac, os, pwd, random, smtplib, socket, ssl, time, unittest

from yubintest import Instance, is_root
from sink import Sink

PASSWORD = "correct horse battery"


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Submission(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = Instance().__enter__()
        cls.inst.add_account("joe@shop.example", PASSWORD)
        cls.inst.add_account("ann@other.example", PASSWORD)
        cls.inst.add_account("cram@shop.example", PASSWORD, "--cram")
        cls.sub = 2587 + cls.inst.port_offset
        cls.smtps = 2465 + cls.inst.port_offset

    @classmethod
    def tearDownClass(cls):
        cls.inst.__exit__(None, None, None)

    def connect(self):
        s = smtplib.SMTP("127.0.0.1", self.sub, local_hostname="client.example", timeout=30)
        s.ehlo()
        return s

    def test_plaintext_session_offers_only_starttls(self):
        with self.connect() as s:
            self.assertTrue(s.has_extn("starttls"))
            self.assertFalse(s.has_extn("auth"))
            code, msg = s.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0joe@shop.example\0" + PASSWORD.encode()).decode())
            self.assertEqual(code, 530, msg)
            code, msg = s.docmd("MAIL", "FROM:<joe@shop.example>")
            self.assertEqual(code, 530, msg)

    def test_auth_plain_then_delivery_with_date_and_message_id(self):
        with self.connect() as s:
            s.starttls(context=tls_context())
            s.ehlo()
            self.assertIn("PLAIN", s.esmtp_features.get("auth", ""))
            s.login("joe@shop.example", PASSWORD)
            s.sendmail("joe@shop.example", ["ann@other.example"],
                       b"From: Joe <joe@shop.example>\r\nTo: ann@other.example\r\nSubject: submitted\r\n\r\nhello\r\n")
        [f] = self.inst.wait_maildir("other.example", "ann", 1)
        m = self.inst.read_messages("other.example", "ann")[0]
        self.assertEqual(m["Subject"], "submitted")
        self.assertIn("Date", m)
        self.assertIn("Message-ID", m)
        self.assertTrue(any("ESMTPSA" in r for r in m.get_all("Received")), m.get_all("Received"))
        self.inst.wait_log("submission", "auth=joe@shop.example")

    def test_authenticated_client_may_relay(self):
        with self.connect() as s:
            s.starttls(context=tls_context())
            s.ehlo()
            s.login("joe@shop.example", PASSWORD)
            s.mail("joe@shop.example")
            code, msg = s.rcpt("someone@elsewhere.example")
            self.assertEqual(code, 250, msg)
            s.rset()

    def test_wrong_password_is_refused_after_a_delay(self):
        with self.connect() as s:
            s.starttls(context=tls_context())
            s.ehlo()
            t0 = time.time()
            with self.assertRaises(smtplib.SMTPAuthenticationError) as cm:
                s.login("joe@shop.example", "wrong password")
            self.assertEqual(cm.exception.smtp_code, 535)
            self.assertGreaterEqual(time.time() - t0, 0.9)
            # Not authenticated: no mail at all on submission.
            self.assertEqual(s.mail("joe@shop.example")[0], 530)
        self.inst.wait_log("submission", "result=failed")

    def test_auth_login_mechanism(self):
        with self.connect() as s:
            s.starttls(context=tls_context())
            s.ehlo()
            code, msg = s.docmd("AUTH", "LOGIN")
            self.assertEqual((code, base64.b64decode(msg)), (334, b"Username:"))
            code, msg = s.docmd(base64.b64encode(b"joe@shop.example").decode())
            self.assertEqual((code, base64.b64decode(msg)), (334, b"Password:"))
            code, msg = s.docmd(base64.b64encode(PASSWORD.encode()).decode())
            self.assertEqual(code, 235, msg)

    def test_auth_cancelled(self):
        with self.connect() as s:
            s.starttls(context=tls_context())
            s.ehlo()
            code, _ = s.docmd("AUTH", "LOGIN")
            self.assertEqual(code, 334)
            code, _ = s.docmd("*")
            self.assertEqual(code, 501)

    def test_sender_policy(self):
        with self.connect() as s:
            s.starttls(context=tls_context())
            s.ehlo()
            s.login("joe@shop.example", PASSWORD)
            code, msg = s.mail("boss@other.example")
            self.assertEqual(code, 552, msg)
            self.assertIn(b"allowed senderhosts", msg)
            self.assertEqual(s.mail("joe@shop.example")[0], 250)
            self.assertEqual(s.rcpt("ann@other.example")[0], 250)
            code, msg = s.data(b"From: boss@other.example\r\nSubject: forged\r\n\r\nx\r\n")
            self.assertEqual(code, 552, msg)
            self.assertEqual(s.mail("joe-sales@shop.example")[0], 250)
            s.rset()
        # an address the administrator lists for the account is allowed too
        self.inst.ctl("sender", "add", "joe@shop.example", "Boss@Other.example")
        self.assertIn("boss@other.example", self.inst.ctl("sender", "list", "joe@shop.example").stdout.lower())
        with self.connect() as s:
            s.starttls(context=tls_context())
            s.ehlo()
            s.login("joe@shop.example", PASSWORD)
            self.assertEqual(s.mail("boss@other.example")[0], 250)
            s.rset()
            self.assertEqual(s.mail("clerk@other.example")[0], 552)
        self.inst.ctl("sender", "del", "joe@shop.example", "boss@other.example")
        with self.connect() as s:
            s.starttls(context=tls_context())
            s.ehlo()
            s.login("joe@shop.example", PASSWORD)
            self.assertEqual(s.mail("boss@other.example")[0], 552)

    def test_smtps_implicit_tls(self):
        with smtplib.SMTP_SSL("127.0.0.1", self.smtps, local_hostname="client.example", timeout=30,
                              context=tls_context()) as s:
            s.ehlo()
            self.assertFalse(s.has_extn("starttls"))
            s.login("joe@shop.example", PASSWORD)
            s.sendmail("joe@shop.example", ["ann@other.example"], b"Subject: over smtps\r\n\r\nhi\r\n")
        for _ in range(200):
            if any(m["Subject"] == "over smtps" for m in self.inst.read_messages("other.example", "ann")):
                break
            time.sleep(0.05)
        self.assertTrue(any(m["Subject"] == "over smtps" for m in self.inst.read_messages("other.example", "ann")))

    def test_starttls_command_injection(self):
        raw = socket.create_connection(("127.0.0.1", self.sub), timeout=30)
        f = raw.makefile("rb")
        self.assertTrue(f.readline().startswith(b"220"))
        raw.sendall(b"EHLO client.example\r\n")
        while True:
            line = f.readline()
            if line[3:4] == b" ":
                break
        # The injected command rides in the same packet as STARTTLS.
        raw.sendall(b"STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n")
        self.assertTrue(f.readline().startswith(b"220"))
        s = tls_context().wrap_socket(raw, server_hostname="x")
        s.sendall(b"NOOP\r\n")
        reply = s.recv(1000)
        # The first reply inside TLS answers NOOP, not the injected MAIL.
        self.assertTrue(reply.startswith(b"250 2.0.0 ok"), reply)
        s.sendall(b"QUIT\r\n")
        s.close()

    def cram(self, port, user, password):
        with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example", timeout=30) as s:
            s.starttls(context=tls_context())
            s.ehlo()
            self.assertIn("CRAM-MD5", s.esmtp_features.get("auth", ""))
            code, challenge = s.docmd("AUTH", "CRAM-MD5")
            self.assertEqual(code, 334)
            digest = hmac.new(password.encode(), base64.b64decode(challenge), hashlib.md5).hexdigest()
            code, msg = s.docmd(base64.b64encode(f"{user} {digest}".encode()).decode())
            return code

    def test_cram_md5(self):
        self.assertEqual(self.cram(self.sub, "cram@shop.example", PASSWORD), 235)
        self.assertEqual(self.cram(self.sub, "cram@shop.example", "not the password"), 535)
        # an account without a CRAM-MD5 secret cannot use the mechanism
        self.assertEqual(self.cram(self.sub, "joe@shop.example", PASSWORD), 535)

    def test_port_25_offers_starttls_then_auth(self):
        port = 2525 + self.inst.port_offset
        with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example", timeout=30) as s:
            s.ehlo()
            self.assertTrue(s.has_extn("starttls"))
            self.assertNotIn("PLAIN", s.esmtp_features.get("auth", ""))
            # port 25 takes mail for local domains without AUTH
            self.assertEqual(s.mail("x@example.org")[0], 250)
            s.rset()
            s.starttls(context=tls_context())
            s.ehlo()
            self.assertIn("PLAIN", s.esmtp_features.get("auth", ""))
            s.login("joe@shop.example", PASSWORD)
            s.mail("joe@shop.example")
            self.assertEqual(s.rcpt("someone@elsewhere.example")[0], 250)
            s.rset()

    def test_pop_before_smtp_window(self):
        port = 2525 + self.inst.port_offset
        stamp = self.inst.path("run", "pbs", "127.0.0.1")

        def relay_code():
            with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example", timeout=30) as s:
                s.ehlo()
                s.mail("x@example.org")
                return s.rcpt("someone@elsewhere.example")[0]

        self.assertEqual(relay_code(), 553)
        open(stamp, "w").close()                       # a login just now
        try:
            self.assertEqual(relay_code(), 250)
            old = time.time() - 11 * 60                   # default window: 10 minutes
            os.utime(stamp, (old, old))
            self.assertEqual(relay_code(), 553)
            os.utime(stamp, None)
            self.inst.control("popbeforesmtp", "0\n")    # 0 turns it off
            self.assertEqual(relay_code(), 553)
        finally:
            self.inst.control("popbeforesmtp", "10\n")
            os.unlink(stamp)

    def swaks(self, *args):
        import subprocess
        return subprocess.run(["swaks", "--helo", "client.example", "--from", "joe@shop.example",
                               "--to", "ann@other.example", "--auth-user", "joe@shop.example",
                               *args], capture_output=True, text=True, timeout=60)

    def test_swaks_starttls_and_implicit_tls(self):
        for extra, port in ((["-tls"], self.sub), (["-tlsc"], self.smtps)):
            for mech in ("PLAIN", "LOGIN"):
                p = self.swaks("--server", f"127.0.0.1:{port}", *extra, "--auth", mech,
                               "--auth-password", PASSWORD, "--header", f"Subject: swaks {mech} {port}")
                self.assertEqual(p.returncode, 0, p.stdout[-2000:])
                self.assertIn("250 2.0.0 Ok: queued", p.stdout)
            p = self.swaks("--server", f"127.0.0.1:{port}", *extra, "--auth", "PLAIN",
                           "--auth-password", "wrong")
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("535 5.7.8", p.stdout)

    @unittest.skipUnless(is_root(), "privilege separation needs root")
    def test_privileges_and_key(self):
        key = self.inst.path("control", "tls", "default.pem")
        st = os.stat(key)
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (0, 0o600))
        s = self.connect()
        s.starttls(context=tls_context())
        s.ehlo()
        users = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    cmd = fh.read().split(b"\0")
                with open(f"/proc/{pid}/status") as fh:
                    uid = int([l.split()[1] for l in fh if l.startswith("Uid:")][0])
            except OSError:
                continue
            if cmd and cmd[0].endswith(b"/yubin-tlsd") and self.inst.dir.encode() in cmd[0]:
                users.setdefault("tlsd", set()).add(pwd.getpwuid(uid).pw_name)
            if cmd and cmd[0].endswith(b"/yubin-smtpd") and b"submission" in cmd:
                users.setdefault("smtpd", set()).add(pwd.getpwuid(uid).pw_name)
        s.quit()
        self.assertEqual(users.get("tlsd"), {"yubint"})
        self.assertEqual(users.get("smtpd"), {"yubind"})


class AuthenticatedRelay(unittest.TestCase):
    """An authenticated client's mail to another domain reaches the outbound
    relay (a sink on loopback, as the default route in control/smtproutes);
    an unauthenticated client's does not."""

    def test_relay_reaches_sink_only_when_authenticated(self):
        port = random.randrange(20000, 60000)
        with Sink("127.0.0.1", port) as sink, Instance(start=False) as inst:
            inst.control("smtproutes", f":[127.0.0.1]:{port}\n")
            inst.control("retryscale", "1000\n")
            inst.add_account("joe@shop.example", PASSWORD)
            inst.start()
            with smtplib.SMTP("127.0.0.1", 2525 + inst.port_offset, local_hostname="c.example", timeout=30) as s:
                s.ehlo()
                s.mail("x@example.org")
                code, msg = s.rcpt("friend@far.example")
                self.assertEqual(code, 553, msg)
                self.assertIn(b"allowed rcpthosts", msg)
            with smtplib.SMTP("127.0.0.1", 2587 + inst.port_offset, local_hostname="c.example", timeout=30) as s:
                s.starttls(context=tls_context())
                s.login("joe@shop.example", PASSWORD)
                s.sendmail("joe@shop.example", ["friend@far.example"],
                           b"From: joe@shop.example\r\nSubject: outbound\r\n\r\nhi\r\n")
            t0 = time.time()
            while not sink.messages and time.time() - t0 < 30:
                time.sleep(0.05)
            self.assertEqual(len(sink.messages), 1, inst.log("send")[-3000:])
            m = sink.messages[0]
            self.assertEqual(m.rcpts, ["friend@far.example"])
            self.assertIn(b"Subject: outbound", m.data)


if __name__ == "__main__":
    unittest.main()


@unittest.skipUnless(is_root(), "Unix users for the accounts need root")
class LocalSenderPolicy(unittest.TestCase):
    """With control/senderpolicy 1, a CGI script's sendmail may send only as
    its own customer's domains."""

    def test_sendmail_sender_policy(self):
        import subprocess
        if subprocess.run(["id", "yubincust1"], capture_output=True).returncode != 0:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                            "yubincust1"], check=True)
        with Instance(setup_args=["--me", "mail.host.example"]) as inst:
            inst.ctl("domain", "add", "cust.example")
            inst.ctl("account", "add", "shop@cust.example", "--uid", "yubincust1", input="pw-shop-1\n")
            inst.add_account("ann@other.example")
            inst.control("senderpolicy", "1\n")
            msg = "Subject: policy\n\nhi\n"
            ok = inst.sendmail(["-f", "orders@cust.example", "ann@other.example"], msg, user="yubincust1", check=False)
            self.assertEqual(ok.returncode, 0, ok.stderr)
            bad = inst.sendmail(["-f", "boss@other.example", "ann@other.example"], msg, user="yubincust1", check=False)
            self.assertEqual(bad.returncode, 77, bad.stderr)
            self.assertIn(b"may not send as", bad.stderr)
            # an extra sender address listed for the script's account is allowed
            inst.ctl("sender", "add", "shop@cust.example", "shop@partner.example")
            self.assertEqual(inst.sendmail(["-f", "Shop@Partner.example", "ann@other.example"], msg,
                                           user="yubincust1", check=False).returncode, 0)
            self.assertEqual(inst.sendmail(["-f", "other@partner.example", "ann@other.example"], msg,
                                           user="yubincust1", check=False).returncode, 77)
            # www-data owns no account: only the host's own names
            self.assertEqual(inst.sendmail(["-f", "www-data@mail.host.example", "ann@other.example"], msg,
                                           user="www-data", check=False).returncode, 0)
            self.assertEqual(inst.sendmail(["-f", "shop@cust.example", "ann@other.example"], msg,
                                           user="www-data", check=False).returncode, 77)
            # root may use any sender; with the policy off, anybody may
            self.assertEqual(inst.sendmail(["-f", "boss@other.example", "ann@other.example"], msg,
                                           check=False).returncode, 0)
            inst.control("senderpolicy", "0\n")
            self.assertEqual(inst.sendmail(["-f", "boss@other.example", "ann@other.example"], msg,
                                           user="yubincust1", check=False).returncode, 0)
