"""yubin-remote as a black box: a temporary instance directory (bin/yubin-remote,
control/), a real DNS server (dnsmasq) and SMTP sinks (aiosmtpd) on loopback.
The program is run as rspawn runs it (doc/spawn.md) and its report lines and
what the sinks received are checked."""
import os, pwd, random, shutil, subprocess, tempfile, time, unittest

from yubintest import BUILD
from dnstest import DnsServer
from sink import RawSink, Sink, make_cert

MX = {"mx.test": [(10, "mx1.mx.test"), (20, "mx2.mx.test")],
      "down.test": [(10, "mx1.down.test"), (20, "mx2.down.test")],
      "six.test": [(10, "mx1.six.test"), (20, "mx2.six.test")]}
HOSTS = {"mx1.mx.test": ["127.0.0.2"], "mx2.mx.test": ["127.0.0.3"],
         "mx1.down.test": ["127.0.0.6"], "mx2.down.test": ["127.0.0.3"],
         "plain.test": ["127.0.0.4"], "relay.test": ["127.0.0.5"],
         "mx1.six.test": ["::1"], "mx2.six.test": ["127.0.0.8"]}
MESSAGE = b"From: a@example.org\nTo: b@mx.test\nSubject: remote\n\nline one\n.hidden dot line\n.\nlast\n"


def runner_user():
    """yubin-remote drops to yubinr when started as root; a test instance made
    without yubin-setup has no such user, so root runs it as nobody."""
    if os.geteuid() != 0:
        return None
    for name in ("yubinr", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    return None


class RemoteTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.port = random.randrange(20000, 60000)
        cls.dns = DnsServer(mx=MX, hosts=HOSTS, null_mx=["nullmx.test"])
        cls.dns.__enter__()
        cls.certdir = tempfile.mkdtemp(prefix="yubin-remote-cert-")
        os.chmod(cls.certdir, 0o755)
        cls.cert = make_cert(cls.certdir, "mx1.mx.test")
        for f in cls.cert:
            os.chmod(f, 0o644)

    @classmethod
    def tearDownClass(cls):
        cls.dns.__exit__(None, None, None)
        shutil.rmtree(cls.certdir, ignore_errors=True)

    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="yubin-remote-")
        os.chmod(self.root, 0o755)
        os.makedirs(os.path.join(self.root, "bin"))
        os.makedirs(os.path.join(self.root, "control"))
        shutil.copy(os.path.join(BUILD, "yubin-remote"), os.path.join(self.root, "bin", "yubin-remote"))
        self.control("me", "out.example.org\n")
        self.control("smtpport", "%d\n" % self.port)
        self.control("resolvers", self.dns.resolvers_line())
        self.control("timeoutconnect", "3\n")
        self.control("timeoutremote", "10\n")
        self.control("timeoutdns", "5\n")
        self.sinks = []

    def tearDown(self):
        for s in self.sinks:
            s.__exit__(None, None, None)
        shutil.rmtree(self.root, ignore_errors=True)

    def control(self, name, value):
        p = os.path.join(self.root, "control", name)
        with open(p, "w") as f:
            f.write(value)
        os.chmod(p, 0o644)

    def sink(self, host, **kw):
        s = Sink(host, self.port, **kw)
        s.__enter__()
        self.sinks.append(s)
        return s

    def remote(self, domain, rcpts, sender="a@example.org", message=MESSAGE):
        kw = {}
        pw = runner_user()
        if pw:
            kw = dict(user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])
        p = subprocess.run([os.path.join(self.root, "bin", "yubin-remote"), "0123456789abcdef", domain, sender]
                           + list(rcpts), input=message, capture_output=True, timeout=120,
                           env={"PATH": "/usr/bin:/bin", "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "detect_leaks=0")},
                           cwd="/", **kw)
        self.stderr = p.stderr.decode(errors="replace")
        self.assertEqual(p.returncode, 0, self.stderr)
        lines = p.stdout.decode().split("\n")
        self.assertEqual(lines[-1], "", "report must end with LF")
        out = [l.split("\t") for l in lines[:-1]]
        for l in out:
            self.assertEqual(len(l), 4, l)
        self.assertEqual([l[1] for l in out], list(rcpts), self.stderr)
        return out

    # -- MX selection -------------------------------------------------
    def test_mx_preference_order(self):
        best = self.sink("127.0.0.2")
        second = self.sink("127.0.0.3")
        res = self.remote("mx.test", ["b@mx.test", "c@mx.test"])
        self.assertEqual([r[0] for r in res], ["ok", "ok"], self.stderr)
        self.assertEqual(res[0][2], "mx1.mx.test")
        self.assertTrue(res[0][3].startswith("250 2.0.0"), res)
        self.assertEqual(len(best.messages), 1, "both recipients in one transaction")
        self.assertEqual(best.messages[0].rcpts, ["b@mx.test", "c@mx.test"])
        self.assertEqual(second.messages, [])
        data = best.messages[0].data
        self.assertIn(b"\r\n.hidden dot line\r\n.\r\nlast\r\n", data)
        self.assertNotIn(b"\n\n", data.replace(b"\r\n", b""))

    def test_fallback_when_best_mx_down(self):
        second = self.sink("127.0.0.3")
        res = self.remote("down.test", ["b@down.test"])
        self.assertEqual(res[0][:3], ["ok", "b@down.test", "mx2.down.test"], self.stderr)
        self.assertEqual(len(second.messages), 1)

    def test_fallback_on_greeting_4xx(self):
        self.sink("127.0.0.2", greeting="421 4.3.2 too busy")
        second = self.sink("127.0.0.3")
        res = self.remote("mx.test", ["b@mx.test"])
        self.assertEqual(res[0][:3], ["ok", "b@mx.test", "mx2.mx.test"], self.stderr)
        self.assertEqual(len(second.messages), 1)

    def test_all_mx_down_defers(self):
        res = self.remote("down.test", ["b@down.test"])
        self.assertEqual(res[0][0], "temp", self.stderr)
        self.assertIn("connection to mx2.down.test failed", res[0][3])

    def test_ipv6_mx(self):
        s6 = self.sink("::1")
        v4 = self.sink("127.0.0.8")
        res = self.remote("six.test", ["b@six.test"])
        self.assertEqual(res[0][:3], ["ok", "b@six.test", "mx1.six.test"], self.stderr)
        self.assertIn("ip=::1", self.stderr)
        self.assertEqual(len(s6.messages), 1)
        self.assertEqual(v4.messages, [])

    def test_implicit_mx(self):
        s = self.sink("127.0.0.4")
        res = self.remote("plain.test", ["x@plain.test"])
        self.assertEqual(res[0][:3], ["ok", "x@plain.test", "plain.test"], self.stderr)
        self.assertEqual(len(s.messages), 1)

    def test_null_mx_is_permanent(self):
        res = self.remote("nullmx.test", ["x@nullmx.test"])
        self.assertEqual(res[0][0], "perm", self.stderr)
        self.assertEqual(res[0][2], "-")
        self.assertIn("5.1.10", res[0][3])
        self.assertIn("null MX", res[0][3])

    def test_nonexistent_domain_is_permanent(self):
        res = self.remote("nowhere.test", ["x@nowhere.test"])
        self.assertEqual(res[0][0], "perm", self.stderr)
        self.assertIn("5.1.2", res[0][3])

    def test_dns_failure_defers(self):
        self.control("resolvers", "127.0.0.1:9\n")
        self.control("timeoutdns", "2\n")
        res = self.remote("mx.test", ["b@mx.test"])
        self.assertEqual(res[0][0], "temp", self.stderr)
        self.assertIn("4.4.3", res[0][3])

    # -- replies ------------------------------------------------------
    def test_per_recipient_replies(self):
        s = self.sink("127.0.0.2", rcpt={"bad@mx.test": "550 5.1.1 no such user here",
                                         "later@mx.test": "451 4.2.0 greylisted, try later"})
        res = self.remote("mx.test", ["ok@mx.test", "bad@mx.test", "later@mx.test"])
        self.assertEqual([r[0] for r in res], ["ok", "perm", "temp"], self.stderr)
        self.assertEqual(res[1][2], "mx1.mx.test")
        self.assertEqual(res[1][3], "550 5.1.1 no such user here")
        self.assertEqual(res[2][3], "451 4.2.0 greylisted, try later")
        self.assertEqual(len(s.messages), 1)
        self.assertEqual(s.messages[0].rcpts, ["ok@mx.test"])

    def test_data_reply_applies_to_all(self):
        s = self.sink("127.0.0.2", data_reply="554 5.6.0 content rejected")
        res = self.remote("mx.test", ["b@mx.test", "c@mx.test"])
        self.assertEqual([r[0] for r in res], ["perm", "perm"], self.stderr)
        self.assertEqual(res[0][3], "554 5.6.0 content rejected")
        self.assertEqual(s.messages, [])

    def test_many_recipients_split_by_100(self):
        s = self.sink("127.0.0.2")
        rcpts = ["r%d@mx.test" % i for i in range(150)]
        res = self.remote("mx.test", rcpts)
        self.assertTrue(all(r[0] == "ok" for r in res), self.stderr)
        self.assertEqual([len(m.rcpts) for m in s.messages], [100, 50])

    def test_size_limit_bounces(self):
        s = self.sink("127.0.0.2", size=1000)
        res = self.remote("mx.test", ["b@mx.test"], message=b"Subject: big\n\n" + b"x" * 70 + b"\n" * 100)
        self.assertEqual(res[0][0], "ok", self.stderr)
        res = self.remote("mx.test", ["b@mx.test"], message=b"Subject: big\n\n" + (b"x" * 70 + b"\n") * 100)
        self.assertEqual(res[0][0], "perm", self.stderr)
        self.assertIn("5.3.4", res[0][3])
        self.assertEqual(len(s.messages), 1)

    def test_smtputf8_needed_but_not_offered(self):
        s = self.sink("127.0.0.2")
        res = self.remote("mx.test", ["用户@mx.test"])
        self.assertEqual(res[0][0], "perm", self.stderr)
        self.assertIn("5.6.7", res[0][3])
        self.assertIn("SMTPUTF8", res[0][3])
        self.assertEqual(s.messages, [])

    def test_smtputf8_offered(self):
        s = self.sink("127.0.0.2", smtputf8=True)
        res = self.remote("mx.test", ["用户@mx.test"], message="Subject: héllo\n\nbody ü\n".encode())
        self.assertEqual(res[0][0], "ok", self.stderr)
        self.assertIn("body ü".encode(), s.messages[0].data)

    def test_bad_recipient_syntax(self):
        self.sink("127.0.0.2")
        res = self.remote("mx.test", ["no-at-sign", "b@mx.test"])
        self.assertEqual([r[0] for r in res], ["perm", "ok"], self.stderr)
        self.assertIn("5.1.3", res[0][3])

    # -- misbehaving servers --------------------------------------------
    def raw(self, host, **replies):
        s = RawSink(host, self.port, **replies)
        s.__enter__()
        self.sinks.append(s)
        return s

    def test_garbage_greeting_moves_to_next_mx(self):
        self.raw("127.0.0.2", GREETING=b"hello there\r\n")
        second = self.sink("127.0.0.3")
        res = self.remote("mx.test", ["b@mx.test"])
        self.assertEqual(res[0][:3], ["ok", "b@mx.test", "mx2.mx.test"], self.stderr)
        self.assertEqual(len(second.messages), 1)

    def test_silent_server_times_out(self):
        self.control("timeoutremote", "1\n")
        self.raw("127.0.0.2", GREETING=b"")
        second = self.sink("127.0.0.3")
        t0 = time.time()
        res = self.remote("mx.test", ["b@mx.test"])
        self.assertEqual(res[0][:3], ["ok", "b@mx.test", "mx2.mx.test"], self.stderr)
        self.assertLess(time.time() - t0, 10)
        self.assertIn("host=mx1.mx.test ip=127.0.0.2", self.stderr)
        self.assertEqual(len(second.messages), 1)

    def test_overlong_reply_line(self):
        self.raw("127.0.0.2", MAIL=b"250 " + b"x" * 5000 + b"\r\n")
        res = self.remote("mx.test", ["b@mx.test"])
        self.assertEqual(res[0][0], "temp", self.stderr)
        self.assertIn("mx1.mx.test", res[0][3])

    def test_hang_up_after_data_defers(self):
        s = self.raw("127.0.0.2", END=None)
        res = self.remote("mx.test", ["b@mx.test", "c@mx.test"])
        self.assertEqual([r[0] for r in res], ["temp", "temp"], self.stderr)
        self.assertIn("4.4.2 connection to mx1.mx.test lost", res[0][3])
        self.assertEqual(len(s.messages), 1)

    def test_data_after_starttls_reply_is_refused(self):
        s = self.raw("127.0.0.2", EHLO=b"250-raw\r\n250 STARTTLS\r\n",
                     STARTTLS=b"220 2.0.0 go ahead\r\n250 2.0.0 injected\r\n")
        res = self.remote("mx.test", ["b@mx.test"])
        self.assertEqual(res[0][0], "ok", self.stderr)
        self.assertIn("data after the STARTTLS reply", self.stderr)
        self.assertEqual(s.sessions, 2, "the plain-text retry is a new connection")
        self.assertEqual(len(s.messages), 1)

    def test_helo_fallback(self):
        s = self.raw("127.0.0.2", EHLO=b"500 5.5.1 what is EHLO\r\n")
        res = self.remote("mx.test", ["b@mx.test"])
        self.assertEqual(res[0][0], "ok", self.stderr)
        self.assertEqual(len(s.messages), 1)
        self.assertIn(b"\r\n.hidden dot line\r\n", b"\r\n" + s.messages[0].replace(b"\r\n..", b"\r\n."))

    def test_8bit_body_with_and_without_8bitmime(self):
        body = "Subject: 8bit\n\ncaf\u00e9 cr\u00e8me\n".encode()
        s = self.raw("127.0.0.2")
        res = self.remote("mx.test", ["b@mx.test"], message=body)
        self.assertEqual(res[0][0], "ok", self.stderr)
        self.assertEqual(s.messages[0], body.replace(b"\n", b"\r\n"), "sent unchanged")
        self.assertEqual([c for c in s.commands if c.startswith(b"MAIL")], [b"MAIL FROM:<a@example.org>"])
        s.replies["EHLO"] = b"250-raw\r\n250-8BITMIME\r\n250 PIPELINING\r\n"
        res = self.remote("mx.test", ["b@mx.test"], message=body)
        self.assertEqual(res[0][0], "ok", self.stderr)
        self.assertEqual([c for c in s.commands if c.startswith(b"MAIL")][-1],
                         b"MAIL FROM:<a@example.org> BODY=8BITMIME")

    def test_null_sender(self):
        s = self.raw("127.0.0.2")
        res = self.remote("mx.test", ["b@mx.test"], sender="")
        self.assertEqual(res[0][0], "ok", self.stderr)
        self.assertIn(b"MAIL FROM:<>", s.commands)

    # -- TLS ----------------------------------------------------------
    def test_starttls_used_when_offered(self):
        s = self.sink("127.0.0.2", tls=self.cert)
        res = self.remote("mx.test", ["b@mx.test"])
        self.assertEqual(res[0][0], "ok", self.stderr)
        self.assertTrue(s.messages[0].tls, "message must arrive over TLS")
        self.assertIn("tls host=mx1.mx.test version=TLSv1.2", self.stderr)

    def test_tls_failure_in_may_mode_retries_in_plain_text(self):
        s = self.sink("127.0.0.2", tls=self.cert, tls13_only=True)
        res = self.remote("mx.test", ["b@mx.test"])
        self.assertEqual(res[0][:3], ["ok", "b@mx.test", "mx1.mx.test"], self.stderr)
        self.assertEqual(s.sessions, 2, "one failed TLS session, one in plain text")
        self.assertFalse(s.messages[0].tls)
        self.assertIn("outcome=retry-plain", self.stderr)

    def test_tls_none_policy(self):
        self.control("tlsdestinations", "mx.test:none\n")
        s = self.sink("127.0.0.2", tls=self.cert)
        res = self.remote("mx.test", ["b@mx.test"])
        self.assertEqual(res[0][0], "ok", self.stderr)
        self.assertFalse(s.messages[0].tls)

    def test_verify_refuses_self_signed(self):
        self.control("tlsdestinations", ".test:verify\n")
        s = self.sink("127.0.0.2", tls=self.cert)
        res = self.remote("mx.test", ["b@mx.test"])
        self.assertEqual(res[0][0], "temp", self.stderr)
        self.assertIn("not trusted", res[0][3])
        self.assertEqual(s.messages, [])

    def test_verify_accepts_trusted_certificate(self):
        self.control("tlsdestinations", "mx.test:verify\n")
        self.control("tlsclientca", self.cert[0] + "\n")
        s = self.sink("127.0.0.2", tls=self.cert)
        res = self.remote("mx.test", ["b@mx.test"])
        self.assertEqual(res[0][0], "ok", self.stderr)
        self.assertTrue(s.messages[0].tls)

    def test_verify_without_ca_bundle_defers(self):
        self.control("tlsdestinations", "mx.test:verify\n")
        self.control("tlsclientca", "/nonexistent/ca.pem\n")
        s = self.sink("127.0.0.2", tls=self.cert)
        res = self.remote("mx.test", ["b@mx.test"])
        self.assertEqual(res[0][0], "temp", self.stderr)
        self.assertIn("unable to load the CA bundle", res[0][3])
        self.assertEqual(s.messages, [])

    def test_verify_checks_host_name(self):
        # mx2 presents a certificate for mx1: trusted, but the wrong name.
        self.control("tlsdestinations", "mx.test:verify\n")
        self.control("tlsclientca", self.cert[0] + "\n")
        s = self.sink("127.0.0.3", tls=self.cert)
        res = self.remote("mx.test", ["b@mx.test"])
        self.assertEqual(res[0][0], "temp", self.stderr)
        self.assertIn("host name", res[0][3])
        self.assertEqual(s.messages, [])

    def test_verify_requires_starttls(self):
        self.control("tlsdestinations", "mx.test:verify\n")
        s = self.sink("127.0.0.2")
        res = self.remote("mx.test", ["b@mx.test"])
        self.assertEqual(res[0][0], "temp", self.stderr)
        self.assertIn("STARTTLS", res[0][3])
        self.assertEqual(s.messages, [])

    # -- routes and AUTH ----------------------------------------------
    def test_smarthost_with_auth(self):
        self.control("smtproutes", ":relay.test\n")
        self.control("relayauth", "relay.test joe s3cret-pass\n")
        s = self.sink("127.0.0.5", tls=self.cert, auth={"joe": "s3cret-pass"})
        res = self.remote("elsewhere.example", ["x@elsewhere.example"])
        self.assertEqual(res[0][:3], ["ok", "x@elsewhere.example", "relay.test"], self.stderr)
        self.assertEqual(s.messages[0].auth_user, "joe")
        self.assertTrue(s.messages[0].tls)
        self.assertNotIn("s3cret", self.stderr)
        self.assertIn("control/relayauth is readable by others", self.stderr)   # the test made it 0644
        os.chmod(os.path.join(self.root, "control", "relayauth"), 0o600)
        pw = runner_user()
        if pw:
            os.chown(os.path.join(self.root, "control", "relayauth"), pw.pw_uid, pw.pw_gid)
        res = self.remote("elsewhere.example", ["x@elsewhere.example"])
        self.assertEqual(res[0][0], "ok", self.stderr)
        self.assertNotIn("readable by others", self.stderr)
        self.assertEqual(len(s.messages), 2)

    def test_smarthost_wrong_password_defers(self):
        self.control("smtproutes", ":relay.test\n")
        self.control("relayauth", "relay.test joe wrong\n")
        s = self.sink("127.0.0.5", tls=self.cert, auth={"joe": "s3cret-pass"})
        res = self.remote("elsewhere.example", ["x@elsewhere.example"])
        self.assertEqual(res[0][0], "temp", self.stderr)
        self.assertTrue(res[0][3].startswith("535 5.7.8"), res)
        self.assertEqual(s.messages, [])

    def test_no_credentials_without_tls(self):
        self.control("smtproutes", ":relay.test\n")
        self.control("relayauth", "relay.test joe s3cret-pass\n")
        s = self.sink("127.0.0.5", auth={"joe": "s3cret-pass"}, auth_plaintext=True)
        res = self.remote("elsewhere.example", ["x@elsewhere.example"])
        self.assertEqual(res[0][0], "temp", self.stderr)
        self.assertIn("without TLS", res[0][3])
        self.control("relayauth", "relay.test joe s3cret-pass allowplain\n")
        res = self.remote("elsewhere.example", ["x@elsewhere.example"])
        self.assertEqual(res[0][0], "ok", self.stderr)
        self.assertEqual(s.messages[0].auth_user, "joe")

    def test_route_to_literal_with_port(self):
        other = random.randrange(20000, 60000)
        self.control("smtproutes", "mx.test:[127.0.0.7]:%d\n" % other)
        s = Sink("127.0.0.7", other)
        s.__enter__()
        self.sinks.append(s)
        res = self.remote("mx.test", ["b@mx.test"])
        self.assertEqual(res[0][:3], ["ok", "b@mx.test", "[127.0.0.7]"], self.stderr)


if __name__ == "__main__":
    unittest.main()
