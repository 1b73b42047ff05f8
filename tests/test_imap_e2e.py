"""IMAP end to end on an instance made by yubin-setup and run by s6: mail
sent with sendmail is delivered, then read over the imapd (STARTTLS) and
imapsd (implicit TLS) services; IDLE announces a new delivery."""
import imaplib, os, ssl, time, unittest

from yubintest import BUILD, Instance
from test_pop3 import make_cert

MSG = "From: sender@example.org\nTo: %s\nSubject: e2e %s\n\nbody %s\n"


def ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


@unittest.skipUnless(os.path.exists(os.path.join(BUILD, "yubin-imap-login")), "IMAP not built")
class ImapEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = Instance(start=False).__enter__()
        if not os.path.exists(cls.inst.path("control", "tls", "default.pem")):
            os.makedirs(cls.inst.path("control", "tls"), exist_ok=True)
            make_cert(cls.inst.path("control", "tls", "default.pem"), "imap.example")
        cls.inst.start()
        cls.addr, cls.pw = "reader@imap.example", "secret-pass-imap"
        cls.inst.add_account(cls.addr, cls.pw)

    @classmethod
    def tearDownClass(cls):
        cls.inst.__exit__(None, None, None)

    def send(self, tag):
        self.inst.sendmail(["-f", "sender@example.org", self.addr], (MSG % (self.addr, tag, tag)).encode())

    def test_deliver_then_read_over_both_services(self):
        self.assertIn("imapd", self.inst.service_names())
        self.assertIn("imapsd", self.inst.service_names())
        self.send("one")
        self.inst.wait_maildir("imap.example", "reader", 1)
        m = imaplib.IMAP4("127.0.0.1", 2143 + self.inst.port_offset, timeout=30)
        m.starttls(ctx())
        self.assertEqual(m.login(self.addr, self.pw)[0], "OK")
        typ, data = m.select("INBOX")
        self.assertEqual(typ, "OK")
        typ, data = m.search(None, "SUBJECT", '"e2e one"')
        self.assertEqual(data[0], b"1")
        typ, data = m.fetch("1", "(BODY[TEXT])")
        self.assertEqual(data[0][1], b"body one\r\n")
        m.logout()
        m = imaplib.IMAP4_SSL("127.0.0.1", 2993 + self.inst.port_offset, ssl_context=ctx(), timeout=30)
        self.assertEqual(m.login(self.addr, self.pw)[0], "OK")
        typ, data = m.status("INBOX", "(MESSAGES UIDNEXT)")
        self.assertIn(b"MESSAGES 1", data[0])
        m.logout()

    def test_idle_sees_a_delivery(self):
        m = imaplib.IMAP4_SSL("127.0.0.1", 2993 + self.inst.port_offset, ssl_context=ctx(), timeout=30)
        m.login(self.addr, self.pw)
        typ, data = m.select("INBOX")
        before = int(data[0])
        tag = m._new_tag()
        m.send(tag + b" IDLE\r\n")
        self.assertTrue(m.readline().startswith(b"+"))
        self.send("idle")
        t = time.time()
        line = m.readline()
        while b"EXISTS" not in line:
            self.assertLess(time.time() - t, 30)
            line = m.readline()
        self.assertEqual(line.strip(), b"* %d EXISTS" % (before + 1))
        m.send(b"DONE\r\n")
        while not m.readline().startswith(tag):
            pass
        m.logout()


if __name__ == "__main__":
    unittest.main()
