"""yubin-local as a black box (doc/spawn.md, local/README.md): run as
yubin-lspawn runs it, with the message on fd 0 in the account's home, and
check what lands in Maildirs, mboxes, programs and the queue."""
import glob, os, signal, subprocess, tempfile, time, unittest

from localtest import LocalInstance, BUILD

MSG = "From: a@example.org\nTo: joe@example.com\nSubject: hello\n\nline one\nFrom the start\n>From quoted\n"


def maildir_new(home, folder="Maildir"):
    return sorted(glob.glob(os.path.join(home, folder, "new", "*")))


def read(path):
    with open(path, "rb") as f:
        return f.read()


class LocalBase:
    RUN_AS = None

    @classmethod
    def setUpClass(cls):
        cls.inst = LocalInstance(cls.RUN_AS)
        i = cls.inst
        i.add_domain("example.com")
        i.add_domain("sub.example", subdomains=True)
        i.add_alias("team@example.com", ["joe@example.com", "ann@example.net"])

    @classmethod
    def tearDownClass(cls):
        cls.inst.close()

    def account(self, name, dom="example.com"):
        return self.inst.add_account(name, dom)

    def run_local(self, rcpt, msg=MSG, **kw):
        code, out, err = self.inst.local(rcpt, msg, **kw)
        self.assertTrue(out.endswith("\n") and out.count("\n") == 1, f"status line: {out!r} {err}")
        return code, out.strip(), err

    def test_default_maildir(self):
        home = self.account("joe")
        code, out, err = self.run_local("Joe@Example.COM")
        self.assertEqual(code, 0, out + err)
        self.assertTrue(out.startswith("2.0.0 "), out)
        files = maildir_new(home)
        self.assertEqual(len(files), 1)
        data = read(files[0])
        self.assertTrue(data.startswith(b"Return-Path: <sender@example.org>\nDelivered-To: joe@example.com\nFrom: a@"),
                        data[:100])
        self.assertTrue(data.endswith(b"From the start\n>From quoted\n"))
        name = os.path.basename(files[0])
        self.assertRegex(name, r"^\d+\.M\d{6}P\d+Q\d+R[0-9a-f]{16}\.mx\.example\.test,S=%d$" % len(data))
        self.assertEqual(os.listdir(os.path.join(home, "Maildir", "tmp")), [])
        self.assertIn("0123456789abcdef delivery rcpt=<joe@example.com> type=maildir", err)
        st = os.stat(files[0])
        self.assertEqual(st.st_uid, self.inst.uid)

    def test_null_sender(self):
        home = self.account("nul")
        code, out, err = self.run_local("nul@example.com", sender="")
        self.assertEqual(code, 0, out + err)
        self.assertTrue(read(maildir_new(home)[0]).startswith(b"Return-Path: <>\n"))

    def test_maildir_and_mbox(self):
        home = self.account("mbx")
        self.inst.write_home_file(home, ".yubin", "# both\n./Maildir/\n./mbox\n")
        for n in range(2):
            code, out, err = self.run_local("mbx@example.com")
            self.assertEqual(code, 0, out + err)
        self.assertEqual(len(maildir_new(home)), 2)
        mbox = read(os.path.join(home, "mbox")).decode()
        msgs = mbox.split("\n\nFrom sender@example.org ")
        self.assertEqual(len(msgs), 2, mbox)
        self.assertRegex(mbox, r"^From sender@example.org [A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}\n"
                               r"Return-Path: <sender@example.org>\nDelivered-To: mbx@example.com\n")
        self.assertIn("\nline one\n>From the start\n>>From quoted\n\n", mbox)
        self.assertTrue(mbox.endswith(">>From quoted\n\n"))
        self.assertFalse(os.path.exists(os.path.join(home, "mbox.lock")))
        self.assertEqual(os.stat(os.path.join(home, "mbox")).st_mode & 0o777, 0o600)

    def test_mbox_concurrent(self):
        home = self.account("cc")
        self.inst.write_home_file(home, ".yubin", "./mbox\n")
        import concurrent.futures
        body = "Subject: n\n\n" + ("z" * 199 + "\n") * 500
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            codes = list(ex.map(lambda n: self.inst.local("cc@example.com", body.replace("n\n", f"{n}\n", 1))[0],
                                range(8)))
        self.assertEqual(codes, [0] * 8)
        mbox = read(os.path.join(home, "mbox")).decode()
        parts = mbox.split("\n\nFrom sender@example.org ")
        self.assertEqual(len(parts), 8)
        self.assertEqual(sorted(int(p.split("Subject: ")[1].split("\n")[0]) for p in parts), list(range(8)))
        for p in parts:
            self.assertEqual(p.count("z" * 199), 500)

    def test_mbox_no_final_newline(self):
        home = self.account("mbn")
        self.inst.write_home_file(home, ".yubin", "./mbox\n")
        code, out, err = self.run_local("mbn@example.com", msg="Subject: x\n\nFrom here, no newline")
        self.assertEqual(code, 0, out + err)
        self.assertTrue(read(os.path.join(home, "mbox")).endswith(b"\n>From here, no newline\n\n"))

    def test_program_env_and_stdin(self):
        home = self.account("prg")
        self.inst.write_home_file(home, ".yubin-filter",
                                  "|env > env.out; cat > msg.out; pwd > pwd.out\n./Maildir/\n")
        code, out, err = self.run_local("prg-filter@example.com")
        self.assertEqual(code, 0, out + err)
        env = dict(l.split("=", 1) for l in read(os.path.join(home, "env.out")).decode().splitlines() if "=" in l)
        self.assertEqual(env["SENDER"], "sender@example.org")
        self.assertEqual(env["RECIPIENT"], "prg-filter@example.com")
        self.assertEqual(env["LOCAL"], "prg-filter")
        self.assertEqual(env["EXT"], "filter")
        self.assertEqual(env["HOST"], "example.com")
        self.assertEqual(env["HOME"], home)
        self.assertEqual(env["USER"], "prg")
        self.assertEqual(env["PATH"], "/usr/bin:/bin")
        self.assertNotIn("ASAN_OPTIONS", env)
        self.assertTrue(read(os.path.join(home, "msg.out")).startswith(
            b"Return-Path: <sender@example.org>\nDelivered-To: prg-filter@example.com\nFrom: a@"))
        self.assertEqual(read(os.path.join(home, "pwd.out")).decode().strip(), home)
        self.assertEqual(len(maildir_new(home)), 1)

    def test_program_exit_codes(self):
        home = self.account("ex")
        cases = [("0", 0, "2.0.0"), ("99", 0, "2.0.0"), ("100", 100, "5.2.0"), ("111", 111, "4.2.0"),
                 ("3", 111, "4.2.0")]
        for ext, (status, want_code, want_text) in enumerate(cases):
            self.inst.write_home_file(home, f".yubin-e{ext}",
                                      f"|echo said {status}; exit {status}\n./Maildir/\n")
            before = len(maildir_new(home))
            code, out, err = self.run_local(f"ex-e{ext}@example.com")
            self.assertEqual(code, want_code, f"exit {status}: {out} {err}")
            self.assertTrue(out.startswith(want_text), out)
            after = len(maildir_new(home))
            # 0 goes on to the Maildir line; 99 stops; failures stop.
            self.assertEqual(after - before, 1 if status == "0" else 0, status)
            if status in ("100", "111", "3"):
                self.assertIn(f"said {status}", out)

    def test_program_timeout(self):
        home = self.account("slow")
        self.inst.write_home_file(home, ".yubin", "|sleep 30 & echo $! > child.pid; sleep 30\n")
        self.inst.control("timeoutlocal", "1\n")
        try:
            t0 = time.time()
            code, out, err = self.run_local("slow@example.com")
        finally:
            os.unlink(self.inst.path("control", "timeoutlocal"))
        self.assertLess(time.time() - t0, 10)
        self.assertEqual(code, 111, out)
        self.assertIn("timed out", out)
        pid = int(read(os.path.join(home, "child.pid")))
        # the whole process group is gone (dead, or a zombie nobody reaped yet)
        for _ in range(50):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except FileNotFoundError:
                state = "gone"
            if state in ("gone", "Z", "X"):
                break
            time.sleep(0.1)
        self.assertIn(state, ("gone", "Z", "X"))

    def test_program_leaves_background_job(self):
        home = self.account("bg")
        self.inst.write_home_file(home, ".yubin", "|sleep 3 & echo started\n./Maildir/\n")
        t0 = time.time()
        code, out, err = self.run_local("bg@example.com")
        self.assertEqual(code, 0, out + err)
        self.assertLess(time.time() - t0, 2.5)
        self.assertEqual(len(maildir_new(home)), 1)

    def test_program_ignores_stdin(self):
        home = self.account("big")
        self.inst.write_home_file(home, ".yubin", "|exit 0\n|cat > copy\n./Maildir/\n")
        msg = "Subject: big\n\n" + ("x" * 999 + "\n") * 2000
        code, out, err = self.run_local("big@example.com", msg=msg)
        self.assertEqual(code, 0, out + err)
        want = "Return-Path: <sender@example.org>\nDelivered-To: big@example.com\n" + msg
        self.assertEqual(read(maildir_new(home)[0]), want.encode())
        self.assertEqual(read(os.path.join(home, "copy")), want.encode())

    def test_loop(self):
        home = self.account("loop")
        msg = "Delivered-To: other@example.com\nDelivered-To: LOOP@example.com\nSubject: x\n\nbody\n"
        code, out, err = self.run_local("loop@example.com", msg=msg)
        self.assertEqual(code, 100)
        self.assertTrue(out.startswith("5.4.6 "), out)
        self.assertEqual(maildir_new(home), [])
        # the same text in the body is no loop
        code, out, err = self.run_local("loop@example.com", msg="Subject: x\n\nDelivered-To: loop@example.com\n")
        self.assertEqual(code, 0, out)

    def test_extension_cascade(self):
        home = self.account("cas")
        self.inst.write_home_file(home, ".yubin-sales", "./Sales/\n")
        self.inst.write_home_file(home, ".yubin-list-default", "./Lists/\n")
        self.inst.write_home_file(home, ".yubin", "./Plain/\n")
        self.assertEqual(self.run_local("cas-sales@example.com")[0], 0)
        self.assertEqual(len(maildir_new(home, "Sales")), 1)
        self.assertEqual(self.run_local("cas-list-rust@example.com")[0], 0)
        self.assertEqual(self.run_local("cas-list-a-b@example.com")[0], 0)
        self.assertEqual(len(maildir_new(home, "Lists")), 2)
        # no matching file: permanent, even though .yubin exists
        code, out, err = self.run_local("cas-nosuch@example.com")
        self.assertEqual(code, 100)
        self.assertTrue(out.startswith("5.1.1 "), out)
        self.inst.write_home_file(home, ".yubin-default", "./Default/\n")
        self.assertEqual(self.run_local("cas-nosuch@example.com")[0], 0)
        self.assertEqual(len(maildir_new(home, "Default")), 1)
        self.assertEqual(self.run_local("cas@example.com")[0], 0)
        self.assertEqual(len(maildir_new(home, "Plain")), 1)
        # an extension never reaches outside the home
        code, out, err = self.run_local("cas-../x@example.com")
        self.assertEqual(code, 0)
        self.assertEqual(len(maildir_new(home, "Default")), 2)

    def test_subdomain(self):
        home = self.account("carl", "sub.example")
        code, out, err = self.run_local("anything@carl.sub.example", home=home)
        self.assertEqual(code, 0, out + err)
        self.assertEqual(len(maildir_new(home)), 1)
        self.assertIn(b"Delivered-To: anything@carl.sub.example\n", read(maildir_new(home)[0]))
        self.inst.write_home_file(home, ".yubin", "./Main/\n")
        self.inst.write_home_file(home, ".yubin-shop", "./Shop/\n")
        self.assertEqual(self.run_local("shop@carl.sub.example", home=home)[0], 0)
        self.assertEqual(self.run_local("other@carl.sub.example", home=home)[0], 0)
        self.assertEqual(len(maildir_new(home, "Shop")), 1)
        self.assertEqual(len(maildir_new(home, "Main")), 1)

    def test_unknown(self):
        for rcpt in ("nobody@example.com", "x@nowhere.example", "x@nobody.sub.example"):
            code, out, err = self.run_local(rcpt, home=self.inst.path("mail"))
            self.assertEqual(code, 100, rcpt)
            self.assertEqual(out, "5.1.1 sorry, no mailbox here by that name")

    def test_bad_dotfile_is_temporary(self):
        home = self.account("typo")
        self.inst.write_home_file(home, ".yubin", "./Maildir/\n&joe@@example.com\n")
        code, out, err = self.run_local("typo@example.com")
        self.assertEqual(code, 111)
        self.assertTrue(out.startswith("4.3.5 .yubin line 2: "), out)
        self.assertIn("line=2", err)
        self.assertEqual(maildir_new(home), [])
        self.inst.write_home_file(home, ".yubin", "./Maildir/\n", mode=0o666)
        code, out, err = self.run_local("typo@example.com")
        self.assertEqual(code, 111)
        self.assertIn("writable by others", out)

    def test_usage(self):
        p = subprocess.run([self.inst.path("bin", "yubin-local"), "x"], capture_output=True)
        self.assertEqual(p.returncode, 100)
        self.assertTrue(p.stdout.startswith(b"5.3.5 usage"))

    # -- forwards --------------------------------------------------------
    def recorder(self, name):
        """A filter program (YUBINQUEUE) that keeps what it is given."""
        out = os.path.join(self.inst.dir, name)
        os.makedirs(out, exist_ok=True)
        os.chmod(out, 0o777)
        prog = os.path.join(out, "inject")
        with open(prog, "w") as f:
            f.write(f"#!/bin/sh\ncat > {out}/msg\ncat <&1 > {out}/env\nexit ${{INJECT_EXIT:-0}}\n")
        os.chmod(prog, 0o755)
        return prog, out

    def test_forward_fanout_to_filter(self):
        home = self.account("fan")
        targets = [f"t{n}@example.net" for n in range(10)]
        self.inst.write_home_file(home, ".yubin", "".join(f"&{t}\n" for t in targets[:5]) +
                                  "./Maildir/\n" + "".join(f"{t}\n" for t in targets[5:]))
        prog, out = self.recorder("fan")
        code, status, err = self.run_local("fan@example.com", env={"YUBINQUEUE": prog})
        self.assertEqual(code, 0, status + err)
        env = read(os.path.join(out, "env"))
        self.assertEqual(env, b"Fsender@example.org\0" + b"".join(b"T" + t.encode() + b"\0" for t in targets) + b"\0")
        msg = read(os.path.join(out, "msg"))
        self.assertTrue(msg.startswith(b"Delivered-To: fan@example.com\nFrom: a@example.org\n"), msg[:80])
        self.assertNotIn(b"Return-Path", msg)
        self.assertEqual(len(maildir_new(home)), 1)
        self.assertEqual(err.count("type=forward"), 1)

    def test_forward_limit_and_failure(self):
        home = self.account("many")
        self.inst.write_home_file(home, ".yubin", "".join(f"&t{n}@example.net\n" for n in range(11)))
        prog, out = self.recorder("many")
        code, status, err = self.run_local("many@example.com", env={"YUBINQUEUE": prog})
        self.assertEqual(code, 111)
        self.assertIn("maxforwards", status)
        self.assertFalse(os.path.exists(os.path.join(out, "env")))
        self.inst.control("maxforwards", "20\n")
        try:
            self.assertEqual(self.run_local("many@example.com", env={"YUBINQUEUE": prog})[0], 0)
        finally:
            os.unlink(self.inst.path("control", "maxforwards"))
        code, status, err = self.run_local("many@example.com", env={"YUBINQUEUE": prog + "-missing"})
        self.assertEqual(code, 111)
        code, status, err = self.run_local("many@example.com",
                                           env={"YUBINQUEUE": "/bin/sh", "INJECT_EXIT": "1"})
        self.assertEqual(code, 111)

    def test_forward_refused(self):
        home = self.account("refd")
        self.inst.write_home_file(home, ".yubin", "&t@example.net\n")
        prog, out = self.recorder("refd")
        code, status, err = self.run_local("refd@example.com", env={"YUBINQUEUE": prog, "INJECT_EXIT": "31"})
        self.assertEqual(code, 100, status)
        self.assertTrue(status.startswith("5."), status)

    def test_alias(self):
        prog, out = self.recorder("alias")
        code, status, err = self.run_local("Team@example.com", env={"YUBINQUEUE": prog},
                                           home=self.inst.path("mail"))
        self.assertEqual(code, 0, status + err)
        self.assertEqual(read(os.path.join(out, "env")),
                         b"Fsender@example.org\0Tjoe@example.com\0Tann@example.net\0\0")
        self.assertTrue(read(os.path.join(out, "msg")).startswith(b"Delivered-To: team@example.com\n"))

    @unittest.skipUnless(os.path.exists(os.path.join(BUILD, "yubin-queue")), "yubin-queue not built")
    def test_forward_into_real_queue(self):
        home = self.account("realq")
        targets = [f"r{n}@example.net" for n in range(10)]
        self.inst.write_home_file(home, ".yubin", "".join(f"&{t}\n" for t in targets))
        self.inst.make_queue()
        before = len(self.inst.queued())
        code, status, err = self.run_local("realq@example.com")
        self.assertEqual(code, 0, status + err)
        q = self.inst.queued()
        self.assertEqual(len(q), before + 1)
        env, mess = [x for x in q if b"Tr0@example.net" in x[0]][0]
        self.assertIn(b"\0Fsender@example.org\0" + b"".join(b"T" + t.encode() + b"\0" for t in targets) + b"\0",
                      env)
        self.assertIn(b"Delivered-To: realq@example.com\nFrom: a@example.org\n", mess)
        self.assertTrue(mess.endswith(b"\nline one\nFrom the start\n>From quoted\n"), mess[-60:])


class LocalAsInvoker(LocalBase, unittest.TestCase):
    """The instance run by the current user (root under the test runner)."""
    RUN_AS = None


@unittest.skipUnless(os.geteuid() == 0, "needs root to switch users")
class LocalAsAccountUser(LocalBase, unittest.TestCase):
    """Accounts with their own unprivileged uid, as under a root instance."""
    RUN_AS = "nobody"


@unittest.skipUnless(os.geteuid() == 0, "needs root to mount a small file system")
class LocalDiskFull(unittest.TestCase):
    def test_enospc(self):
        inst = LocalInstance("nobody")
        mnt = None
        try:
            inst.add_domain("example.com")
            home = inst.add_account("full", "example.com")
            mnt = os.path.join(home, "small")
            os.makedirs(mnt)
            if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0777", "tmpfs", mnt],
                              capture_output=True).returncode != 0:
                mnt = None
                self.skipTest("cannot mount tmpfs here")
            inst.write_home_file(home, ".yubin", "./small/Maildir/\n")
            big = "Subject: big\n\n" + ("y" * 99 + "\n") * 2000
            code, out, err = inst.local("full@example.com", big)
            self.assertEqual(code, 111, out + err)
            self.assertTrue(out.startswith("4.3.1 "), out)
            self.assertEqual(os.listdir(os.path.join(mnt, "Maildir", "tmp")), [])
            self.assertEqual(os.listdir(os.path.join(mnt, "Maildir", "new")), [])
            # mbox: truncated back to what it held
            inst.write_home_file(home, ".yubin", "./small/mbox\n")
            self.assertEqual(inst.local("full@example.com", "Subject: small\n\nhi\n")[0], 0)
            size = os.path.getsize(os.path.join(mnt, "mbox"))
            code, out, err = inst.local("full@example.com", big)
            self.assertEqual(code, 111, out + err)
            self.assertEqual(os.path.getsize(os.path.join(mnt, "mbox")), size)
            self.assertFalse(os.path.exists(os.path.join(mnt, "mbox.lock")))
        finally:
            if mnt:
                subprocess.run(["umount", mnt])
            inst.close()


if __name__ == "__main__":
    unittest.main()
