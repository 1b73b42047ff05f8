"""yubin-send on a real instance: bounces as RFC 3464 DSNs, double bounces, the
queue lifetime, retries, remote mail waiting for yubin-remote, restarts.

The instance runs with control/retryscale 1000 (retries after 0.1 s, 0.4 s,
0.9 s, ...) and control/queuelifetime 5 (seconds)."""
import glob, os, re, signal, subprocess, threading, time, unittest

from yubintest import Instance, bin_processes, is_root


class SendTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = Instance(start=False).__enter__()
        i = cls.inst
        i.control("retryscale", "1000\n")
        i.control("queuelifetime", "5\n")
        i.control("doublebounceto", "pm@shop.example\n")
        i.start()
        i.ctl("domain", "add", "shop.example")
        for a in ("anna", "pm", "flaky", "stuck", "carl", "dora"):
            i.add_account(f"{a}@shop.example")
        cls.dotfile("flaky", "|test -e tried && exit 0; touch tried; exit 111\n./Maildir/\n")
        cls.dotfile("stuck", "|echo mailbox is resting; exit 111\n")

    @classmethod
    def tearDownClass(cls):
        cls.inst.__exit__(None, None, None)

    @classmethod
    def dotfile(cls, acct, text):
        home = cls.inst.home("shop.example", acct)
        p = os.path.join(home, ".yubin")
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, 0o600)
        st = os.stat(home)
        if is_root():
            os.chown(p, st.st_uid, st.st_gid)

    # -- helpers ---------------------------------------------------------
    def reports(self, acct, marker):
        out = []
        for m in self.inst.read_messages("shop.example", acct):
            if m.get_content_type() == "multipart/report" and marker in m.as_string():
                out.append(m)
        return out

    def wait_report(self, acct, marker, timeout=30):
        t0 = time.time()
        while time.time() - t0 < timeout:
            r = self.reports(acct, marker)
            if r:
                return r
            time.sleep(0.1)
        self.fail(f"no report with {marker!r} for {acct}\n{self.inst.log('send')[-4000:]}")

    def queue_ids(self, subdir):
        return [os.path.basename(p) for p in glob.glob(self.inst.path("queue", subdir, "*", "*"))]

    def inject(self, sender, rcpts, message):
        """The qmail-queue interface directly: message on fd 0, envelope on fd 1."""
        env = b"F" + sender.encode() + b"\0" + b"".join(b"T" + r.encode() + b"\0" for r in rcpts) + b"\0"
        r, w = os.pipe()
        os.write(w, env)
        os.close(w)
        p = subprocess.run([self.inst.path("bin", "yubin-queue")], input=message, stdout=r,
                           capture_output=False, stderr=subprocess.PIPE)
        os.close(r)
        self.assertEqual(p.returncode, 0, p.stderr)

    def new_ids(self):
        return re.findall(r"yubin-send: info: ([0-9a-f]{16}) new from=", self.inst.log("send"))

    def dsn_fields(self, report):
        parts = list(report.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts],
                         ["text/plain", "message/delivery-status", "text/rfc822-headers"])
        blocks = parts[1].get_payload()
        return parts, blocks[0], blocks[1:]

    # -- tests -------------------------------------------------------------
    def test_unknown_local_recipient_gets_rfc3464_dsn(self):
        self.inst.sendmail(["-f", "anna@shop.example", "nobody@shop.example"],
                           "From: anna@shop.example\nSubject: dsn-one\nX-Test: unknown-rcpt\n\nsecret body\n")
        rep = self.wait_report("anna", "X-Test: unknown-rcpt")
        self.assertEqual(len(rep), 1)
        m = rep[0]
        self.assertEqual(m.get_param("report-type"), "delivery-status")
        self.assertTrue(m["From"].startswith("MAILER-DAEMON@"))
        self.assertEqual(m["Return-Path"], "<>")
        parts, per_msg, per_rcpt = self.dsn_fields(m)
        self.assertTrue(per_msg["Reporting-MTA"].startswith("dns; "))
        self.assertIn("Arrival-Date", per_msg)
        self.assertEqual(len(per_rcpt), 1)
        self.assertEqual(per_rcpt[0]["Final-Recipient"], "rfc822; nobody@shop.example")
        self.assertEqual(per_rcpt[0]["Action"], "failed")
        self.assertEqual(per_rcpt[0]["Status"], "5.1.1")
        self.assertTrue(per_rcpt[0]["Diagnostic-Code"].startswith("smtp; 5.1.1"))
        headers = parts[2].get_content() if hasattr(parts[2], "get_content") else parts[2].get_payload()
        self.assertIn("Subject: dsn-one", str(headers))
        self.assertNotIn("secret body", m.as_string())
        self.assertIn("nobody@shop.example", parts[0].get_content())
        self.assertRegex(self.inst.log("send"), r"bounce to=<anna@shop.example> rcpts=1 dsn=[0-9a-f]{16}")

    def test_failures_of_one_pass_share_one_dsn(self):
        self.inst.sendmail(["-f", "anna@shop.example", "ghost1@shop.example", "ghost2@shop.example",
                            "carl@shop.example"], "Subject: two-ghosts\nX-Test: two-ghosts\n\nx\n")
        rep = self.wait_report("anna", "X-Test: two-ghosts")
        time.sleep(0.5)
        rep = self.reports("anna", "X-Test: two-ghosts")
        self.assertEqual(len(rep), 1)
        _, _, per_rcpt = self.dsn_fields(rep[0])
        self.assertEqual(sorted(b["Final-Recipient"] for b in per_rcpt),
                         ["rfc822; ghost1@shop.example", "rfc822; ghost2@shop.example"])
        self.assertTrue(any("two-ghosts" == m["Subject"]
                            for m in self.inst.read_messages("shop.example", "carl")))

    def test_double_bounce_reaches_doublebounceto(self):
        self.inject("", ["nobody-db@shop.example"], b"Subject: null sender\nX-Test: double-bounce\n\nx\n")
        rep = self.wait_report("pm", "X-Test: double-bounce")
        _, _, per_rcpt = self.dsn_fields(rep[0])
        self.assertEqual(per_rcpt[0]["Final-Recipient"], "rfc822; nobody-db@shop.example")
        self.assertEqual(rep[0]["To"], "pm@shop.example")
        self.assertIn("double=1", self.inst.log("send"))

    def test_failed_double_bounce_is_dropped(self):
        # a null-sender message to doublebounceto itself that fails: logged and dropped
        self.inst.control("doublebounceto", "nobody-pm@shop.example\n")
        subprocess.run(["s6-svc", "-h", self.inst.path("service", "send")], check=True)
        self.inst.wait_log("send", "control files read again")
        try:
            self.inject("", ["nobody-pm@shop.example"], b"Subject: lost cause\n\nx\n")
            self.inst.wait_log("send", "doublebounce dropped")
            self.inst.wait_queue_empty()
        finally:
            self.inst.control("doublebounceto", "pm@shop.example\n")
            subprocess.run(["s6-svc", "-h", self.inst.path("service", "send")], check=True)

    def test_retry_after_temporary_failure(self):
        self.inst.sendmail(["flaky@shop.example"], "Subject: flaky-one\n\nx\n")
        self.inst.wait_maildir("shop.example", "flaky", 1)
        self.assertEqual([m["Subject"] for m in self.inst.read_messages("shop.example", "flaky")], ["flaky-one"])
        # the file is in the Maildir a moment before yubin-send logs the result
        self.inst.wait_log("send", "delivered to=<flaky@shop.example> channel=local")
        self.assertRegex(self.inst.log("send"), r"deferred to=<flaky@shop.example> channel=local")
        self.assertTrue(os.path.exists(os.path.join(self.inst.home("shop.example", "flaky"), "tried")))

    def test_queue_lifetime_expiry_bounces(self):
        t0 = time.time()
        self.inst.sendmail(["-f", "dora@shop.example", "stuck@shop.example"],
                           "Subject: stuck-one\nX-Test: expiry\n\nx\n")
        rep = self.wait_report("dora", "X-Test: expiry", timeout=40)
        self.assertGreaterEqual(time.time() - t0, 3.5)   # not before the lifetime (5 s, 1 s granularity)
        _, _, per_rcpt = self.dsn_fields(rep[0])
        self.assertEqual(per_rcpt[0]["Final-Recipient"], "rfc822; stuck@shop.example")
        self.assertEqual(per_rcpt[0]["Action"], "failed")
        self.assertTrue(per_rcpt[0]["Status"].startswith("4."), per_rcpt[0]["Status"])
        self.assertIn("mailbox is resting", per_rcpt[0]["Diagnostic-Code"])
        self.assertIn("expired=1", self.inst.log("send"))
        deferrals = self.inst.log("send").count("deferred to=<stuck@shop.example>")
        self.assertGreaterEqual(deferrals, 3)   # retried several times before giving up

    def test_remote_waits_while_yubin_remote_is_absent(self):
        remote = self.inst.path("bin", "yubin-remote")
        saved = remote + ".away"
        if os.path.exists(remote):
            os.rename(remote, saved)
        try:
            self.inst.sendmail(["-f", "anna@shop.example", "someone@elsewhere.example"],
                               "Subject: far away\nX-Test: no-remote\n\nx\n")
            self.inst.wait_log("send", 'deferred to=<someone@elsewhere.example> channel=remote '
                                       'reason="4.4.0 remote delivery is not installed"')
            time.sleep(6.5)   # past the 5 s lifetime: still queued, never bounced
            self.assertFalse(self.reports("anna", "X-Test: no-remote"))
            self.assertEqual(self.inst.log("send").count("failed to=<someone@elsewhere.example>"), 0)
            queued = [i for i in self.queue_ids("remote")]
            self.assertTrue(queued)
            self.assertTrue(all(os.path.exists(self.inst.path("queue", "mess", i[-2:], i)) for i in queued))
        finally:
            if os.path.exists(saved):
                os.rename(saved, remote)

    def test_restart_loses_nothing(self):
        svc = self.inst.path("service", "send")
        subprocess.run(["s6-svc", "-d", svc], check=True)
        subprocess.run(["s6-svwait", "-D", "-t", "20000", svc], check=True)
        for n in range(20):
            self.inst.sendmail(["carl@shop.example"], f"Subject: while-down-{n}\n\nx\n")
        self.assertEqual(len(self.queue_ids("todo")), 20)
        subprocess.run(["s6-svc", "-u", svc], check=True)
        self.inst.wait_up("send")
        t0 = time.time()
        while time.time() - t0 < 30:
            subj = [m["Subject"] for m in self.inst.read_messages("shop.example", "carl")]
            if all(f"while-down-{n}" in subj for n in range(20)):
                break
            time.sleep(0.1)
        subj = [m["Subject"] for m in self.inst.read_messages("shop.example", "carl")]
        for n in range(20):
            self.assertEqual(subj.count(f"while-down-{n}"), 1, f"while-down-{n}")

    def test_sigkill_of_yubin_send_loses_nothing(self):
        for n in range(30):
            self.inst.sendmail(["carl@shop.example"], f"Subject: killed-{n}\n\nx\n")
            if n in (5, 15):
                for _, _, pid in bin_processes(self.inst.dir).get("yubin-send", []):
                    os.kill(pid, signal.SIGKILL)
        self.inst.wait_up("send")
        t0 = time.time()
        while time.time() - t0 < 30:
            subj = [m["Subject"] for m in self.inst.read_messages("shop.example", "carl")]
            if all(f"killed-{n}" in subj for n in range(30)):
                break
            time.sleep(0.1)
        subj = [m["Subject"] for m in self.inst.read_messages("shop.example", "carl")]
        self.assertEqual([n for n in range(30) if f"killed-{n}" not in subj], [])

    def test_backlog_does_not_starve_deliveries(self):
        # 1000 messages wait in todo/ while yubin-send is down; after the start
        # it takes them in 50 at a time and delivers in between, so the first
        # deliveries come long before the last message is taken in.
        svc = self.inst.path("service", "send")
        subprocess.run(["s6-svc", "-d", svc], check=True)
        subprocess.run(["s6-svwait", "-D", "-t", "20000", svc], check=True)
        n = 1000
        base = len(self.inst.maildir_files("shop.example", "dora"))
        threads = []

        def inject(k):
            for i in range(k, n, 10):
                self.inject("anna@shop.example", ["dora@shop.example"],
                            f"Subject: backlog-{i}\n\nx\n".encode())
        for k in range(10):
            threads.append(threading.Thread(target=inject, args=(k,)))
            threads[-1].start()
        for t in threads:
            t.join()
        mark = len(self.inst.log("send"))
        subprocess.run(["s6-svc", "-u", svc], check=True)
        self.inst.wait_up("send")
        t0 = time.time()
        while time.time() - t0 < 120:
            if len(self.inst.maildir_files("shop.example", "dora")) >= base + n:
                break
            time.sleep(0.2)
        log = self.inst.log("send")[mark:]
        news = [m.start() for m in re.finditer(r" new from=<anna@shop.example> rcpts=1", log)]
        first_delivery = log.find("delivered to=<dora@shop.example>")
        self.assertEqual(len(news), n)
        self.assertGreater(first_delivery, 0)
        self.assertLess(first_delivery, news[n // 2], "no delivery before half the backlog was taken in")
        subjects = [m["Subject"] for m in self.inst.read_messages("shop.example", "dora")]
        self.assertEqual(len([x for x in subjects if x.startswith("backlog-")]), n)

    def test_queue_files_removed_when_done(self):
        before = set(self.new_ids())
        self.inst.sendmail(["carl@shop.example"], "Subject: tidy\n\nx\n")
        t0 = time.time()
        while time.time() - t0 < 20 and not set(self.new_ids()) - before:
            time.sleep(0.05)
        fresh = set(self.new_ids()) - before
        self.assertTrue(fresh)
        for qid in fresh:
            self.inst.wait_log("send", f"{qid} done")
            for d in ("mess", "todo", "intd", "info", "local", "remote", "bounce"):
                self.assertFalse(os.path.exists(self.inst.path("queue", d, qid[-2:], qid)), d)

    def test_stale_files_of_a_crashed_injection_removed_at_start(self):
        """A message file or an envelope being written that a crashed
        yubin-queue left more than 36 hours ago goes when the send service
        starts; younger ones (an injection may still be running) stay."""
        q = self.inst.path("queue")
        st = os.stat(os.path.join(q, "mess"))
        old = time.time() - 37 * 3600
        young = time.time() - 35 * 3600
        files = {}
        for name, sub, t in (("0000000a0000aa01", "mess", old), ("0000000a0000aa02", "intd", old),
                             ("0000000a0000aa03", "mess", young), ("0000000a0000aa04", "intd", young)):
            d = os.path.join(q, sub, name[-2:])
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, name)
            with open(path, "w") as f:
                f.write("Subject: left by a crash\n\nx\n")
            os.chown(path, st.st_uid, st.st_gid)
            os.chmod(path, 0o640)
            os.utime(path, (t, t))
            files[name] = path
        svc = self.inst.path("service", "send")
        subprocess.run(["s6-svc", "-d", svc], check=True)
        subprocess.run(["s6-svwait", "-D", "-t", "20000", svc], check=True)
        subprocess.run(["s6-svc", "-u", svc], check=True)
        self.inst.wait_up("send")
        t0 = time.time()
        while time.time() - t0 < 20 and (os.path.exists(files["0000000a0000aa01"]) or
                                         os.path.exists(files["0000000a0000aa02"])):
            time.sleep(0.1)
        try:
            self.assertFalse(os.path.exists(files["0000000a0000aa01"]), "stale mess/ file kept")
            self.assertFalse(os.path.exists(files["0000000a0000aa02"]), "stale intd/ file kept")
            self.assertTrue(os.path.exists(files["0000000a0000aa03"]), "young mess/ file removed")
            self.assertTrue(os.path.exists(files["0000000a0000aa04"]), "young intd/ file removed")
        finally:
            for path in files.values():
                if os.path.exists(path):
                    os.unlink(path)


if __name__ == "__main__":
    unittest.main()
