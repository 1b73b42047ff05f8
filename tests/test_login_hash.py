"""Password hashes (doc/accounts.md, "Password hashes"): yubinctl stores
argon2id at 19 MiB and 2 iterations; a hash made earlier at libsodium's
interactive limits (64 MiB) still logs in over the real imapsd service, and
yubin-auth logs it as stale until `yubinctl account passwd` renews it.
Unknown accounts and wrong passwords are refused alike."""
import imaplib, os, time, unittest

from yubintest import BUILD, Instance
from test_pop3 import make_cert
from test_imap_e2e import ctx

CURRENT = "$argon2id$v=19$m=19456,t=2,p=1$"
# crypto_pwhash_str("old-pass-1", OPSLIMIT_INTERACTIVE, MEMLIMIT_INTERACTIVE):
# what yubinctl stored before the parameters were lowered
OLD_HASH = ("$argon2id$v=19$m=65536,t=2,p=1$3kX7BgLEpLBlBpboiH3OWg$"
            "1MwVPZxgw9Q1h1LfO55c1DC3dnWmRYXFTb6R4EtZsi0")


@unittest.skipUnless(os.path.exists(os.path.join(BUILD, "yubin-imap-login")), "IMAP not built")
class PasswordHash(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = Instance(start=False, services=["imapsd"]).__enter__()
        os.makedirs(cls.inst.path("control", "tls"), exist_ok=True)
        make_cert(cls.inst.path("control", "tls", "default.pem"), "hash.example")
        cls.inst.start()

    @classmethod
    def tearDownClass(cls):
        cls.inst.__exit__(None, None, None)

    def passwd(self):
        with open(self.inst.path("accounts", "passwd")) as f:
            return dict(line.split(" ", 1) for line in f.read().splitlines())

    def login(self, user, password):
        m = imaplib.IMAP4_SSL("127.0.0.1", 2993 + self.inst.port_offset, ssl_context=ctx(), timeout=30)
        try:
            return m.login(user, password)[0]
        except imaplib.IMAP4.error as e:
            return str(e)
        finally:
            try:
                m.logout()
            except Exception:
                pass

    def auth_lines(self, user):
        return [l for l in self.inst.log("imapsd").splitlines() if "auth ok" in l and "user=" + user in l]

    def wait_auth_lines(self, user, n):
        t0 = time.time()
        while time.time() - t0 < 10 and len(self.auth_lines(user)) < n:
            time.sleep(0.05)
        return self.auth_lines(user)

    def test_new_passwords_use_the_lowered_cost(self):
        self.inst.add_account("new@hash.example", "new-pass-1")
        self.assertTrue(self.passwd()["new@hash.example"].startswith(CURRENT))
        self.assertEqual(self.login("new@hash.example", "new-pass-1"), "OK")
        lines = self.wait_auth_lines("new@hash.example", 1)
        self.assertEqual(len(lines), 1, self.inst.log("imapsd"))
        self.assertNotIn("hash=stale", lines[0])

    def test_old_hash_logs_in_is_reported_and_renewed(self):
        addr = "old@hash.example"
        self.inst.add_account(addr, "placeholder-1")
        # the administrator's file as an earlier yubinctl left it
        path = self.inst.path("accounts", "passwd")
        with open(path) as f:
            lines = f.read().splitlines()
        lines = [addr + " " + OLD_HASH if l.startswith(addr + " ") else l for l in lines]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.inst.ctl("rebuild")
        self.assertEqual(self.passwd()[addr], OLD_HASH)

        self.assertEqual(self.login(addr, "old-pass-1"), "OK")
        lines = self.wait_auth_lines(addr, 1)
        self.assertEqual(len(lines), 1, self.inst.log("imapsd"))
        self.assertIn("hash=stale", lines[0])

        self.inst.ctl("account", "passwd", addr, input="old-pass-1\n")
        self.assertTrue(self.passwd()[addr].startswith(CURRENT))
        self.assertEqual(self.login(addr, "old-pass-1"), "OK")
        lines = self.wait_auth_lines(addr, 2)
        self.assertEqual(len(lines), 2, self.inst.log("imapsd"))
        self.assertNotIn("hash=stale", lines[1])

    def test_wrong_password_and_unknown_account_are_refused_alike(self):
        self.inst.add_account("known@hash.example", "known-pass-1")
        a = self.login("known@hash.example", "wrong-pass-1")
        b = self.login("nobody@hash.example", "wrong-pass-1")
        self.assertIn("AUTHENTICATIONFAILED", a)
        self.assertEqual(a, b)


if __name__ == "__main__":
    unittest.main()
