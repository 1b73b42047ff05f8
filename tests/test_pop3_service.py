"""POP3 through the instance's own s6 services (pop3d with STLS, pop3sd with
implicit TLS: yubin-tcpd -> yubin-tlsd -> yubin-pop3-login -> yubin-auth ->
yubin-pop3d), on an account made by yubinctl with mail delivered by sendmail;
and POP-before-SMTP opening relaying on the smtpd service."""
import imaplib, poplib, smtplib, ssl, subprocess, time, unittest

from yubintest import Instance

PASSWORD = "pop-pass-123"


def ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


class Pop3Service(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = Instance().__enter__()
        cls.inst.add_account("pat@pop.example", PASSWORD)
        for i in range(3):
            cls.inst.sendmail(["pat@pop.example"], f"Subject: pop {i}\n\nbody {i}\n")
        cls.inst.wait_maildir("pop.example", "pat", 3)

    @classmethod
    def tearDownClass(cls):
        cls.inst.__exit__(None, None, None)

    def test_pop3s_list_and_retr(self):
        p = poplib.POP3_SSL("127.0.0.1", 2995 + self.inst.port_offset, context=ctx(), timeout=30)
        p.user("pat@pop.example")
        p.pass_(PASSWORD)
        count, size = p.stat()
        self.assertEqual(count, 3)
        resp, lines, octets = p.retr(1)
        self.assertIn(b"Subject: pop 0", lines)
        uidl = p.uidl()[1]
        self.assertEqual(len(uidl), 3)
        p.quit()

    def test_stls_then_login(self):
        p = poplib.POP3("127.0.0.1", 2110 + self.inst.port_offset, timeout=30)
        with self.assertRaises(poplib.error_proto):
            p.user("pat@pop.example")   # no login in plaintext
        p.stls(context=ctx())
        p.user("pat@pop.example")
        p.pass_(PASSWORD)
        self.assertEqual(p.stat()[0], 3)
        p.quit()

    def test_wrong_password(self):
        p = poplib.POP3_SSL("127.0.0.1", 2995 + self.inst.port_offset, context=ctx(), timeout=30)
        p.user("pat@pop.example")
        with self.assertRaises(poplib.error_proto) as cm:
            p.pass_("wrong")
        self.assertIn(b"[AUTH]", cm.exception.args[0])

    def test_curl_pop3s(self):
        out = subprocess.run(["curl", "-sk", f"pop3s://127.0.0.1:{2995 + self.inst.port_offset}/2",
                              "-u", f"pat@pop.example:{PASSWORD}"], capture_output=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(b"Subject: pop 1", out.stdout)

    def uidls(self):
        p = poplib.POP3_SSL("127.0.0.1", 2995 + self.inst.port_offset, context=ctx(), timeout=30)
        p.user("pat@pop.example")
        p.pass_(PASSWORD)
        out = sorted(line.split()[1] for line in p.uidl()[1])
        p.quit()
        return out

    def test_uidl_stable_after_an_imap_session(self):
        before = self.uidls()
        m = imaplib.IMAP4_SSL("127.0.0.1", 2993 + self.inst.port_offset, ssl_context=ctx())
        m.login("pat@pop.example", PASSWORD)
        m.select("INBOX")
        typ, data = m.fetch("1:*", "(UID FLAGS)")
        self.assertEqual(typ, "OK")
        m.logout()
        self.assertEqual(self.uidls(), before)

    def test_pop_before_smtp_opens_relaying(self):
        port = 2525 + self.inst.port_offset

        def relay_code():
            with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example", timeout=30) as s:
                s.ehlo()
                s.mail("pat@pop.example")
                return s.rcpt("friend@far.example")[0]

        import os
        stamp = self.inst.path("run", "pbs", "127.0.0.1")
        if os.path.exists(stamp):
            os.unlink(stamp)          # forget the logins of the other tests
        self.assertEqual(relay_code(), 553)
        p = poplib.POP3_SSL("127.0.0.1", 2995 + self.inst.port_offset, context=ctx(), timeout=30)
        p.user("pat@pop.example")
        p.pass_(PASSWORD)
        p.quit()
        self.assertEqual(relay_code(), 250)


if __name__ == "__main__":
    unittest.main()
