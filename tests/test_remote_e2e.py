"""Remote delivery end to end: sendmail -> queue -> yubin-send -> yubin-rspawn
-> yubin-remote -> an SMTP sink found through a real DNS server (dnsmasq).
Needs the whole instance (yubin-setup, sendmail, yubin-send, yubinctl); until
those are built the tests are skipped with the reason."""
import email, email.policy, os, random, time, unittest

from yubintest import BUILD, Instance
from dnstest import DnsServer
from sink import Sink

NEEDED = ["yubin-setup", "yubin-queue", "yubin-send", "yubin-rspawn", "yubin-remote", "yubinctl", "yubin-local"]
MISSING = [p for p in NEEDED if not os.path.exists(os.path.join(BUILD, p))]

MX = {"far.test": [(10, "mx1.far.test"), (20, "mx2.far.test")]}
HOSTS = {"mx1.far.test": ["127.0.0.12"], "mx2.far.test": ["127.0.0.13"]}


@unittest.skipIf(MISSING, "instance not built yet: missing " + " ".join(MISSING))
class RemoteEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns = DnsServer(mx=MX, hosts=HOSTS, zones=("test",))
        cls.dns.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.dns.__exit__(None, None, None)

    def setUp(self):
        self.inst = Instance(services=["send"], start=False)  # no listeners: no port clashes
        self.inst.setup()
        self.port = random.randrange(20000, 60000)
        self.inst.control("resolvers", self.dns.resolvers_line())
        self.inst.control("smtpport", "%d\n" % self.port)
        self.inst.control("timeoutconnect", "3\n")
        self.inst.control("timeoutremote", "10\n")
        self.inst.control("retryscale", "1000\n")
        self.inst.add_account("joe@example.com")
        self.inst.start()
        self.sinks = []

    def tearDown(self):
        self.inst.__exit__(None, None, None)
        for s in self.sinks:
            s.__exit__(None, None, None)

    def sink(self, host, **kw):
        s = Sink(host, self.port, **kw)
        s.__enter__()
        self.sinks.append(s)
        return s

    def wait(self, cond, what, timeout=30):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if cond():
                return
            time.sleep(0.05)
        self.fail(f"{what}\n--- send log:\n{self.inst.log('send')[-4000:]}")

    def test_delivered_to_best_mx(self):
        best = self.sink("127.0.0.12")
        other = self.sink("127.0.0.13")
        self.inst.sendmail(["-f", "joe@example.com", "a@far.test", "b@far.test"],
                           b"Subject: out\n\nhello far away\n.dot\n")
        self.wait(lambda: best.messages, "the best MX got nothing")
        self.inst.wait_queue_empty()
        self.assertEqual(len(best.messages), 1, "one transaction for both recipients")
        self.assertEqual(sorted(best.messages[0].rcpts), ["a@far.test", "b@far.test"])
        self.assertEqual(best.messages[0].sender, "joe@example.com")
        self.assertIn(b"hello far away\r\n.dot\r\n", best.messages[0].data)
        self.assertEqual(other.messages, [])

    def test_451_deferred_then_delivered_on_retry(self):
        s = self.sink("127.0.0.12", rcpt_default="451 4.2.0 greylisted, come back later")
        self.sink("127.0.0.13", rcpt_default="451 4.2.0 greylisted, come back later")
        self.inst.sendmail(["-f", "joe@example.com", "grey@far.test"], b"Subject: grey\n\nretry me\n")
        self.wait(lambda: s.sessions >= 1 and "deferred" in self.inst.log("send"), "no deferral")
        self.assertFalse(self.inst.queue_empty())
        self.assertEqual(s.messages, [])
        s.rcpt_default = "250 2.1.5 ok"
        self.wait(lambda: s.messages, "not delivered on retry", timeout=60)
        self.assertEqual(s.messages[0].rcpts, ["grey@far.test"])
        self.inst.wait_queue_empty()
        self.assertEqual(self.inst.maildir_files("example.com", "joe"), [], "no bounce for a deferral")

    def test_550_bounced_with_the_servers_words(self):
        self.sink("127.0.0.12", rcpt={"gone@far.test": "550 5.1.1 gone@far.test: no such user here"})
        self.inst.sendmail(["-f", "joe@example.com", "gone@far.test"], b"Subject: doomed\n\nbody\n")
        files = self.inst.wait_maildir("example.com", "joe", 1)
        with open(files[0], "rb") as f:
            dsn = email.message_from_bytes(f.read(), policy=email.policy.default)
        self.assertEqual(dsn.get_content_type(), "multipart/report")
        text = dsn.as_string()
        self.assertIn("Final-Recipient: rfc822; gone@far.test", text)
        self.assertIn("Status: 5.1.1", text)
        self.assertIn("Remote-MTA: dns; mx1.far.test", text)
        self.assertIn("Diagnostic-Code: smtp; 550 5.1.1 gone@far.test: no such user here", text)
        self.inst.wait_queue_empty()


if __name__ == "__main__":
    unittest.main()
