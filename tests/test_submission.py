"""Submission (587, STARTTLS) and SMTPS (465, implicit TLS) with AUTH, the
sender policy, and STARTTLS command injection, through the real services:
yubin-tcpd -> yubin-tlsd -> yubin-smtpd -> yubin-queue -> delivery."""
import base64, os, pwd, smtplib, socket, ssl, time, unittest

from yubintest import Instance, is_root

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


if __name__ == "__main__":
    unittest.main()
