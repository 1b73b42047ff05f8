"""Local delivery end to end: sendmail -> queue -> send -> lspawn -> yubin-local,
with .yubin control files as a hosting customer writes them.  Skipped until
the instance programs (yubin-setup, yubin-send, sendmail) are built."""
import os, time, unittest

from yubintest import BUILD, Instance

NEEDED = ("yubin-setup", "yubin-send", "yubin-lspawn", "yubin-queue", "yubinctl")


def built():
    return all(os.path.exists(os.path.join(BUILD, p)) for p in NEEDED)


@unittest.skipUnless(built(), "the instance programs are not all built yet")
class LocalEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = Instance().__enter__()
        i = cls.inst
        i.ctl("domain", "add", "shop.example")
        for a in ("dora", "eve", "finn"):
            i.add_account(f"{a}@shop.example")

    @classmethod
    def tearDownClass(cls):
        cls.inst.__exit__(None, None, None)

    def write(self, acct, name, text):
        home = self.inst.home("shop.example", acct)
        st = os.stat(home)
        p = os.path.join(home, name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, 0o600)
        if os.geteuid() == 0:
            os.chown(p, st.st_uid, st.st_gid)
        return p

    def send(self, rcpt, subject, body="body\nFrom the past\n"):
        self.inst.sendmail(["-f", "web@shop.example", rcpt],
                           f"From: web@shop.example\nTo: {rcpt}\nSubject: {subject}\n\n{body}")

    def wait_file(self, path, needle, timeout=30):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if os.path.exists(path):
                with open(path, "rb") as f:
                    data = f.read()
                if needle in data:
                    return data
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} never in {path}\n{self.inst.log('send')[-3000:]}")

    def test_maildir_and_mbox(self):
        self.write("dora", ".yubin", "./Maildir/\n./mbox\n")
        self.send("dora@shop.example", "both")
        files = self.inst.wait_maildir("shop.example", "dora", 1)
        mbox = self.wait_file(os.path.join(self.inst.home("shop.example", "dora"), "mbox"), b"Subject: both")
        self.assertTrue(mbox.startswith(b"From web@shop.example "))
        self.assertIn(b"\n>From the past\n\n", mbox)
        msg = self.inst.read_messages("shop.example", "dora")[0]
        self.assertEqual(msg["Delivered-To"], "dora@shop.example")
        self.assertEqual(msg["Return-Path"], "<web@shop.example>")
        self.assertEqual(len(files), 1)

    def test_extension_forward_and_program(self):
        self.write("eve", ".yubin-orders", "|echo \"$SENDER $EXT\" > orders.log\n&finn@shop.example\n")
        self.send("eve-orders@shop.example", "order 1")
        self.inst.wait_maildir("shop.example", "finn", 1)
        m = self.inst.read_messages("shop.example", "finn")[0]
        self.assertEqual(m["Subject"], "order 1")
        self.assertEqual(m.get_all("Delivered-To"), ["finn@shop.example", "eve-orders@shop.example"])
        self.assertEqual(m["Return-Path"], "<web@shop.example>")
        log = self.wait_file(os.path.join(self.inst.home("shop.example", "eve"), "orders.log"), b"orders")
        self.assertEqual(log, b"web@shop.example orders\n")

    def test_default_cascade(self):
        self.write("eve", ".yubin-list-default", "./Lists/\n")
        self.send("eve-list-rust@shop.example", "list mail")
        self.inst.wait_maildir("shop.example", "eve", 1, folder="Lists")
