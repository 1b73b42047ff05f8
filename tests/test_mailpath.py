"""The core mail path end to end, as a hosting customer would see it:
sendmail -> yubin-queue -> yubin-send -> yubin-lspawn -> yubin-local -> Maildir."""
import os, pwd, stat, subprocess, time, unittest

from yubintest import Instance, is_root


class MailPath(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = Instance().__enter__()
        i = cls.inst
        i.ctl("domain", "add", "shop.example")
        i.ctl("domain", "add", "sub.example", "--subdomains")
        i.add_account("anna@shop.example")
        i.add_account("bob@shop.example")
        i.add_account("carl@sub.example")
        for n in range(10):
            i.add_account(f"fan{n}@shop.example")

    @classmethod
    def tearDownClass(cls):
        cls.inst.__exit__(None, None, None)

    def deliver(self, rcpt, subject, *args):
        msg = f"From: web@shop.example\nTo: {rcpt}\nSubject: {subject}\n\nbody of {subject}\n"
        self.inst.sendmail(list(args) + [rcpt], msg)

    def subjects(self, dom, acct):
        return [m["Subject"] for m in self.inst.read_messages(dom, acct)]

    def test_plain_address(self):
        self.deliver("anna@shop.example", "plain")
        self.inst.wait_maildir("shop.example", "anna", 1)
        for _ in range(100):
            if "plain" in self.subjects("shop.example", "anna"):
                break
            time.sleep(0.05)
        msgs = [m for m in self.inst.read_messages("shop.example", "anna") if m["Subject"] == "plain"]
        self.assertEqual(len(msgs), 1)
        m = msgs[0]
        self.assertEqual(m["Delivered-To"], "anna@shop.example")
        self.assertIn("Return-Path", m)
        self.assertIn("Received", m)
        self.assertIn("Date", m)
        self.assertIn("Message-ID", m)
        self.assertEqual(m.get_content().strip(), "body of plain")

    def test_extension_address(self):
        self.inst.ctl("forward", "set", "bob-orders@shop.example", "anna@shop.example")
        before = len(self.inst.maildir_files("shop.example", "anna"))
        self.deliver("bob-orders@shop.example", "extension")
        self.inst.wait_maildir("shop.example", "anna", before + 1)
        self.assertIn("extension", self.subjects("shop.example", "anna"))

    def test_subdomain_address(self):
        self.deliver("anything@carl.sub.example", "subdomain")
        self.inst.wait_maildir("sub.example", "carl", 1)
        self.assertIn("subdomain", self.subjects("sub.example", "carl"))

    def test_ten_forwards_fan_out(self):
        targets = [f"fan{n}@shop.example" for n in range(10)]
        self.inst.ctl("forward", "set", "bob-team@shop.example", *targets)
        self.deliver("bob-team@shop.example", "fanout")
        for n in range(10):
            self.inst.wait_maildir("shop.example", f"fan{n}", 1)
            self.assertIn("fanout", self.subjects("shop.example", f"fan{n}"))

    def test_eleventh_forward_refused(self):
        targets = [f"t{n}@elsewhere.example" for n in range(11)]
        p = self.inst.ctl("forward", "set", "bob-many@shop.example", *targets, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertTrue(p.stderr.strip())
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.inst.home("shop.example", "bob"), ".yubin-many")))

    def test_unknown_recipient_is_bounced(self):
        # bounced to anna, the sender
        before = len(self.inst.maildir_files("shop.example", "anna"))
        self.inst.sendmail(["-f", "anna@shop.example", "nobody@shop.example"],
                           "Subject: to nobody\n\nlost\n")
        files = self.inst.wait_maildir("shop.example", "anna", before + 1)
        reports = [m for m in self.inst.read_messages("shop.example", "anna")
                   if m.get_content_type() == "multipart/report"]
        self.assertTrue(reports)
        self.assertIn("nobody@shop.example", reports[-1].as_string())

    @unittest.skipUnless(is_root(), "privilege separation needs root")
    def test_files_owned_by_account(self):
        self.deliver("bob@shop.example", "owner")
        files = self.inst.wait_maildir("shop.example", "bob", 1)
        st = os.stat(files[0])
        self.assertEqual(pwd.getpwuid(st.st_uid).pw_name, "yubinv")
        self.assertEqual(stat.S_IMODE(os.stat(self.inst.home("shop.example", "bob")).st_mode) & 0o077, 0)

    def test_cgi_user_can_send(self):
        user = "www-data" if is_root() else None
        self.inst.sendmail(["anna@shop.example"], "Subject: from cgi\n\nhi\n", user=user)
        for _ in range(200):
            if "from cgi" in self.subjects("shop.example", "anna"):
                break
            time.sleep(0.05)
        self.assertIn("from cgi", self.subjects("shop.example", "anna"))


if __name__ == "__main__":
    unittest.main()
