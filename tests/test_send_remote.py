"""yubin-send with the real yubin-remote against an SMTP sink on loopback:
remote recipients of one message go in one attempt per domain, a recipient the
server refuses comes back in a DSN with Remote-MTA and the server's words, a
4xx is retried until it is accepted."""
import os, socket, time, unittest

from yubintest import Instance

try:
    from sink import Sink
except ImportError:          # tests/sink.py comes with yubin-remote's tests
    Sink = None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@unittest.skipIf(Sink is None, "tests/sink.py (aiosmtpd sink) not available")
class SendRemoteTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = free_port()
        cls.inst = Instance(start=False).__enter__()
        i = cls.inst
        i.control("retryscale", "1000\n")
        i.control("smtproutes", f"far.example:[127.0.0.1]:{cls.port}\nslow.example:[127.0.0.1]:{cls.port}\n")
        i.control("tlsdestinations", "far.example:none\nslow.example:none\n")
        i.control("timeoutconnect", "3\n")
        i.start()
        i.ctl("domain", "add", "shop.example")
        i.add_account("anna@shop.example")

    @classmethod
    def tearDownClass(cls):
        cls.inst.__exit__(None, None, None)

    def setUp(self):
        if not os.path.exists(self.inst.path("bin", "yubin-remote")):
            self.skipTest("yubin-remote is not installed in this build")

    def wait(self, cond, what, timeout=30):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if cond():
                return
            time.sleep(0.1)
        self.fail(f"{what}\n{self.inst.log('send')[-4000:]}")

    def test_refused_recipient_bounces_with_remote_mta(self):
        with Sink("127.0.0.1", self.port, rcpt={"bad@far.example": "550 5.1.1 no such user"}) as s:
            self.inst.sendmail(["-f", "anna@shop.example", "good@far.example", "bad@far.example",
                                "other@far.example"], "Subject: far\nX-Test: remote-dsn\n\nx\n")
            self.wait(lambda: s.messages, "nothing reached the sink")
            self.assertEqual(len(s.messages), 1)   # one attempt for the domain
            self.assertEqual(sorted(s.messages[0].rcpts), ["good@far.example", "other@far.example"])

            def report():
                for m in self.inst.read_messages("shop.example", "anna"):
                    if m.get_content_type() == "multipart/report" and "X-Test: remote-dsn" in m.as_string():
                        return m
                return None
            self.wait(report, "no DSN for the refused recipient")
            ds = list(report().iter_parts())[1].get_payload()
            self.assertEqual(len(ds), 2)
            r = ds[1]
            self.assertEqual(r["Final-Recipient"], "rfc822; bad@far.example")
            self.assertEqual(r["Status"], "5.1.1")
            self.assertIn("127.0.0.1", r["Remote-MTA"])
            self.assertTrue(r["Remote-MTA"].startswith("dns; "))
            self.assertEqual(r["Diagnostic-Code"], "smtp; 550 5.1.1 no such user")

    def test_groups_of_at_most_100_recipients(self):
        with Sink("127.0.0.1", self.port) as s:
            rcpts = [f"r{n}@far.example" for n in range(150)]
            self.inst.sendmail(["-f", "anna@shop.example"] + rcpts, "Subject: many\n\nx\n")
            self.wait(lambda: sum(len(m.rcpts) for m in s.messages) >= 150, "not all recipients arrived")
            self.assertEqual(sorted(len(m.rcpts) for m in s.messages), [50, 100])
            self.assertEqual(s.sessions, 2)   # one yubin-remote run per group
            self.assertEqual(sorted(r for m in s.messages for r in m.rcpts), sorted(rcpts))

    def test_temporary_refusal_is_retried(self):
        with Sink("127.0.0.1", self.port, rcpt_default="451 4.3.0 try later") as s:
            self.inst.sendmail(["-f", "anna@shop.example", "later@slow.example"], "Subject: later\n\nx\n")
            self.inst.wait_log("send", 'deferred to=<later@slow.example> channel=remote reason="451 4.3.0 try later"')
            s.rcpt_default = "250 2.1.5 ok"
            self.wait(lambda: s.messages, "the retry did not reach the sink")
            self.assertEqual(s.messages[0].rcpts, ["later@slow.example"])
            self.inst.wait_log("send", "delivered to=<later@slow.example> channel=remote")


if __name__ == "__main__":
    unittest.main()
