"""yubin-tlsd on its own: implicit TLS, SNI, protocol versions, privileges.
STARTTLS through the daemons is tested with smtpd, pop3d and imapd."""
import os, pwd, socket, ssl, subprocess, time, unittest

from yubintest import Instance, is_root


def make_cert(path, cn, kind="ec"):
    key = path + ".key"
    crt = path + ".crt"
    if kind == "ec":
        newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    else:
        newkey = ["-newkey", "rsa:2048"]
    subprocess.run(["openssl", "req", "-x509", *newkey, "-nodes", "-keyout", key, "-out", crt,
                    "-days", "30", "-subj", "/CN=" + cn], check=True, capture_output=True)
    with open(path, "wb") as out:
        for p in (crt, key):
            with open(p, "rb") as f:
                out.write(f.read())
            os.unlink(p)
    os.chmod(path, 0o600)


class Tlsd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = Instance(start=False).__enter__()
        tls = cls.inst.path("control", "tls")
        os.makedirs(tls, exist_ok=True)
        make_cert(os.path.join(tls, "default.pem"), "mail.default.test", "ec")
        make_cert(os.path.join(tls, "other.test.pem"), "other.test", "rsa")
        make_cert(os.path.join(tls, "_.wild.test.pem"), "*.wild.test", "ec")

    @classmethod
    def tearDownClass(cls):
        cls.inst.__exit__(None, None, None)

    def start(self, daemon, *opts):
        a, b = socket.socketpair()
        p = subprocess.Popen([self.inst.path("bin", "yubin-tlsd"), *opts, "sh", "-c", daemon],
                             stdin=b, stdout=b, stderr=subprocess.PIPE)
        b.close()
        a.settimeout(20)
        return a, p

    def client(self, sock, sni, **kw):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        for k, v in kw.items():
            setattr(ctx, k, v)
        return ctx.wrap_socket(sock, server_hostname=sni)

    def peer_cn(self, s):
        der = s.getpeercert(True)
        pem = ssl.DER_cert_to_PEM_cert(der)
        out = subprocess.run(["openssl", "x509", "-noout", "-subject"], input=pem, text=True,
                             capture_output=True).stdout
        return out.strip().split("CN")[-1].lstrip(" =")

    def test_implicit_tls_environment_and_echo(self):
        a, p = self.start('echo "$TLS $TLS_PROTOCOL $TLS_CIPHER $TLS_SNI"; cat')
        s = self.client(a, "mail.default.test")
        self.assertEqual(s.version(), "TLSv1.2")
        line = s.recv(200).decode()
        self.assertTrue(line.startswith("1 TLSv1.2 ECDHE-ECDSA-"), line)
        self.assertIn("mail.default.test", line)
        s.sendall(b"x" * 100000 + b"\n")
        got = b""
        while len(got) < 100001:
            got += s.recv(65536)
        self.assertEqual(got, b"x" * 100000 + b"\n")
        s.close()
        self.assertEqual(p.wait(timeout=10), 0)

    def test_sni_chooses_certificate(self):
        for sni, cn in (("other.test", "other.test"), ("a.wild.test", "*.wild.test"),
                        ("unknown.test", "mail.default.test"), (None, "mail.default.test")):
            a, p = self.start("cat")
            s = self.client(a, sni)
            self.assertEqual(self.peer_cn(s), cn, sni)
            s.close()
            p.wait(timeout=10)

    def test_old_protocols_refused(self):
        a, p = self.start("cat")
        ctx_kw = {"minimum_version": ssl.TLSVersion.TLSv1, "maximum_version": ssl.TLSVersion.TLSv1_1}
        with self.assertRaises((ssl.SSLError, OSError)):
            s = self.client(a, "x.test", **ctx_kw)
            s.recv(1)
        a.close()
        p.wait(timeout=10)
        self.assertIn(b"tls failed", p.stderr.read())

    def test_garbage_instead_of_handshake(self):
        a, p = self.start("cat")
        a.sendall(b"EHLO this is not TLS\r\n" * 10)
        a.shutdown(socket.SHUT_WR)
        try:
            reply = a.recv(1000)
        except ConnectionResetError:
            reply = b""
        self.assertIn(reply[:1], (b"", b"\x15"))  # nothing, or a TLS alert
        self.assertEqual(p.wait(timeout=10), 111)

    @unittest.skipUnless(is_root(), "privilege separation needs root")
    def test_key_unreadable_by_daemon_and_tlsd_unprivileged(self):
        a, p = self.start("cat " + self.inst.path("control", "tls", "default.pem") +
                          " >/dev/null 2>&1 && echo READABLE || echo DENIED; id -un; cat")
        s = self.client(a, "mail.default.test")
        out = b""
        while out.count(b"\n") < 2:
            out += s.recv(100)
        self.assertEqual(out.decode().split(), ["DENIED", "yubind"])
        with open(f"/proc/{p.pid}/status") as f:
            uid = [l.split()[1] for l in f if l.startswith("Uid:")][0]
        self.assertEqual(pwd.getpwuid(int(uid)).pw_name, "yubint")
        s.close()
        p.wait(timeout=10)


if __name__ == "__main__":
    unittest.main()
