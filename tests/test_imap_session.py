"""yubin-imapd, the post-login IMAP session, driven by Python's imaplib over a
pipe (IMAP4_stream) on a real Maildir: SELECT, FETCH (sizes, envelope,
body structure, sections, partials), STORE, EXPUNGE, folders, UIDs that
survive sessions and the loss of the UID state file, two sessions and a
delivery at once, and bad input."""
import imaplib, os, re, subprocess, time, unittest

from imaptest import IMAPD, MaildirCase

PLAIN = (b"From: Alice Example <alice@example.org>\n"
         b"To: bob@example.com, carol@example.net\n"
         b"Subject: hello there\n"
         b"Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
         b"Message-ID: <m1@example.org>\n"
         b"\n"
         b"line one\n"
         b"line two\n")

MULTI = (b"From: c@example.org\n"
         b"Subject: with attachment\n"
         b"MIME-Version: 1.0\n"
         b"Content-Type: multipart/mixed; boundary=\"xyz\"\n"
         b"\n"
         b"preamble\n"
         b"--xyz\n"
         b"Content-Type: text/plain; charset=utf-8\n"
         b"\n"
         b"hi\n"
         b"--xyz\n"
         b"Content-Type: application/pdf; name=\"a.pdf\"\n"
         b"Content-Transfer-Encoding: base64\n"
         b"Content-Disposition: attachment; filename=\"a.pdf\"\n"
         b"\n"
         b"AAAA\n"
         b"--xyz--\n")


@unittest.skipUnless(os.path.exists(IMAPD), "yubin-imapd not built")
class ImapSession(MaildirCase):
    def uids(self, s):
        typ, data = s.uid("FETCH", "1:*", "(UID)")
        self.assertEqual(typ, "OK")
        return [int(re.search(rb"UID (\d+)", d).group(1)) for d in data if d]

    def test_select_and_fetch(self):
        self.deliver(PLAIN)
        self.deliver(MULTI)
        s = self.session()
        self.assertIn(b"PREAUTH", s.welcome)
        typ, data = s.select("INBOX")
        self.assertEqual((typ, data), ("OK", [b"2"]))
        self.assertEqual(s.untagged_responses.get("RECENT"), [b"2"])
        self.assertTrue(s.untagged_responses.get("UIDVALIDITY"))
        # RFC822.SIZE is the size of BODY[] as sent: CRLF line ends
        typ, data = s.fetch("1", "(RFC822.SIZE BODY.PEEK[])")
        size = int(re.search(rb"RFC822.SIZE (\d+)", data[0][0]).group(1))
        self.assertEqual(data[0][1], PLAIN.replace(b"\n", b"\r\n"))
        self.assertEqual(size, len(data[0][1]))
        typ, data = s.fetch("1", "(FLAGS)")
        self.assertNotIn(b"\\Seen", data[0])          # PEEK left it unseen
        typ, data = s.fetch("1", "(ENVELOPE)")
        env = data[0]
        self.assertIn(b'"hello there"', env)
        self.assertIn(b'(("Alice Example" NIL "alice" "example.org"))', env)
        self.assertIn(b'"carol" "example.net"', env)
        self.assertIn(b'"<m1@example.org>"', env)
        typ, data = s.fetch("2", "(BODYSTRUCTURE)")
        bs = data[0]
        self.assertIn(b'("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 2 1', bs)
        self.assertIn(b'("APPLICATION" "PDF" ("NAME" "a.pdf") NIL NIL "BASE64" 4', bs)
        self.assertIn(b'"MIXED" ("BOUNDARY" "xyz")', bs)
        self.assertIn(b'("ATTACHMENT" ("FILENAME" "a.pdf"))', bs)
        typ, data = s.fetch("2", "(BODY.PEEK[2] BODY.PEEK[1.MIME] BODY.PEEK[HEADER.FIELDS (subject)])")
        parts = [d for d in data if isinstance(d, tuple)]
        self.assertEqual(parts[0][1], b"AAAA")   # the CRLF before a boundary is the boundary's
        self.assertEqual(parts[1][1], b"Content-Type: text/plain; charset=utf-8\r\n\r\n")
        self.assertEqual(parts[2][1], b"Subject: with attachment\r\n\r\n")
        typ, data = s.fetch("1", "(BODY[TEXT]<5.8>)")
        self.assertIn(b"BODY[TEXT]<5>", data[0][0])
        self.assertEqual(data[0][1], b"one\r\nlin")
        typ, data = s.fetch("1", "(FLAGS)")
        self.assertIn(b"\\Seen", data[0])             # BODY[TEXT] set \Seen
        typ, data = s.fetch("1", "(BODY.PEEK[HEADER.FIELDS.NOT (To From Date Message-ID)])")
        self.assertEqual(data[0][1], b"Subject: hello there\r\n\r\n")
        typ, data = s.fetch("1:*", "(INTERNALDATE)")
        self.assertEqual(len(data), 2)
        self.assertRegex(data[0], rb'INTERNALDATE "\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d \+0000"')
        s.logout()

    def test_store_expunge_and_flags_on_disk(self):
        for _ in range(3):
            self.deliver(PLAIN)
        s = self.session()
        s.select("INBOX")
        typ, data = s.store("2", "+FLAGS", "(\\Deleted \\Flagged)")
        self.assertEqual(typ, "OK")
        self.assertIn(b"\\Deleted", data[0])
        names = os.listdir(os.path.join(self.md, "cur"))
        self.assertEqual(len([n for n in names if n.endswith(":2,FT")]), 1)
        typ, data = s.uid("STORE", "3", "FLAGS.SILENT", "(\\Seen)")
        self.assertEqual((typ, data), ("OK", [None]))     # .SILENT: no FETCH response, UID form too
        typ, data = s.expunge()
        self.assertEqual((typ, data), ("OK", [b"2"]))
        self.assertEqual(self.uids(s), [1, 3])
        self.assertEqual(len(os.listdir(os.path.join(self.md, "cur"))), 2)
        s.logout()

    def test_uids_stable_and_rebuilt(self):
        for _ in range(5):
            self.deliver(PLAIN)
        s = self.session()
        s.select("INBOX")
        validity = s.untagged_responses["UIDVALIDITY"][0]
        s.store("1:2", "+FLAGS", "(\\Deleted)")
        s.expunge()
        first = self.uids(s)
        self.assertEqual(first, [3, 4, 5])
        s.logout()
        # a new session sees the same UIDs; new mail gets the next ones
        self.deliver(PLAIN)
        s = self.session()
        s.select("INBOX")
        self.assertEqual(s.untagged_responses["UIDVALIDITY"][0], validity)
        self.assertEqual(self.uids(s), [3, 4, 5, 6])
        s.logout()
        # losing the state file renumbers nothing and reuses no UID
        os.unlink(os.path.join(self.md, "yubin-imap.uid"))
        s = self.session()
        s.select("INBOX")
        self.assertEqual(s.untagged_responses["UIDVALIDITY"][0], validity)
        self.assertEqual(s.untagged_responses["UIDNEXT"][0], b"7")
        self.assertEqual(self.uids(s), [3, 4, 5, 6])
        s.logout()
        # a corrupt one likewise
        with open(os.path.join(self.md, "yubin-imap.uid"), "w") as f:
            f.write("yubin-imap-uid 1 garbage\n")
        self.deliver(PLAIN)
        s = self.session()
        s.select("INBOX")
        self.assertEqual(s.untagged_responses["UIDVALIDITY"][0], validity)
        self.assertEqual(self.uids(s), [3, 4, 5, 6, 7])
        s.logout()

    def test_two_sessions_and_a_delivery(self):
        self.deliver(PLAIN)
        self.deliver(PLAIN)
        a, b = self.session(), self.session()
        a.select("INBOX")
        b.select("INBOX")
        self.deliver(MULTI)
        a.untagged_responses.clear()
        typ, _ = a.noop()
        self.assertEqual(a.untagged_responses.get("EXISTS"), [b"3"])
        b.store("1", "+FLAGS", "(\\Deleted)")
        b.expunge()
        b.noop()
        a.untagged_responses.clear()
        a.noop()
        self.assertEqual(a.untagged_responses.get("EXPUNGE"), [b"1"])
        typ, data = a.uid("FETCH", "1:*", "(UID)")
        self.assertEqual(self.uids(a), [2, 3])
        self.assertEqual(self.uids(b), [2, 3])
        a.logout()
        b.logout()

    def test_folders(self):
        s = self.session()
        # a new account gets the special-use folders, subscribed, once
        typ, data = s.list()
        self.assertEqual(data, [b'(\\HasNoChildren) "." INBOX',
                                b'(\\HasNoChildren \\Archive) "." "Archive"',
                                b'(\\HasNoChildren \\Drafts) "." "Drafts"',
                                b'(\\HasNoChildren \\Junk) "." "Junk"',
                                b'(\\HasNoChildren \\Sent) "." "Sent"',
                                b'(\\HasNoChildren \\Trash) "." "Trash"'])
        self.assertEqual(len(s.lsub('""', "*")[1]), 6)
        for name in ("Archive", "Drafts", "Junk", "Sent", "Trash"):
            self.assertEqual(s.unsubscribe(name)[0], "OK")
            self.assertEqual(s.delete(name)[0], "OK")
        s.logout()
        s = self.session()                       # deleted ones stay deleted
        self.assertEqual(s.list()[1], [b'(\\HasNoChildren) "." INBOX'])
        self.assertEqual(s.create("Sent")[0], "OK")
        self.assertEqual(s.create("Entw&APw-rfe")[0], "OK")          # "Entwürfe"
        self.assertEqual(s.create("Sent")[0], "NO")
        self.assertEqual(s.create("bad&AGE-")[0], "NO")             # not canonical modified UTF-7
        self.assertEqual(s.create("../x")[0], "NO")
        self.assertTrue(os.path.isdir(os.path.join(self.md, ".Entw&APw-rfe", "cur")))
        typ, data = s.list()
        self.assertEqual(data, [b'(\\HasNoChildren) "." INBOX', b'(\\HasNoChildren) "." "Entw&APw-rfe"',
                                b'(\\HasNoChildren \\Sent) "." "Sent"'])
        typ, data = s.list('""', "S%")
        self.assertEqual(data, [b'(\\HasNoChildren \\Sent) "." "Sent"'])
        self.assertEqual(s.create("Sent.2026")[0], "OK")
        typ, data = s.list('""', "%")
        self.assertIn(b'(\\HasChildren \\Sent) "." "Sent"', data)
        self.assertNotIn(b'(\\HasNoChildren) "." "Sent.2026"', data)
        inbox = b'(\\HasNoChildren) "." INBOX'    # INBOX always counts as subscribed
        typ, data = s.lsub('""', "*")
        self.assertEqual(data, [inbox])
        self.assertEqual(s.subscribe("Sent")[0], "OK")
        self.assertEqual(s.subscribe("Nope")[0], "NO")
        typ, data = s.lsub('""', "*")
        self.assertEqual(data, [inbox, b'(\\HasChildren \\Sent) "." "Sent"'])
        self.assertEqual(s.unsubscribe("Sent")[0], "OK")
        self.assertEqual(s.lsub('""', "*")[1], [inbox])
        self.assertEqual(s.rename("Sent.2026", "Old")[0], "OK")
        self.assertTrue(os.path.isdir(os.path.join(self.md, ".Old", "cur")))
        self.assertEqual(s.rename("Nope", "Other")[0], "NO")
        self.assertEqual(s.rename("Old", "Sent")[0], "NO")
        typ, data = s.status("Sent", "(MESSAGES UIDNEXT)")
        self.assertEqual(data, [b'"Sent" (MESSAGES 0 UIDNEXT 1)'])
        self.assertEqual(s.select("Sent")[0], "OK")
        self.assertEqual(s.select("Nope")[0], "NO")
        self.assertEqual(s.delete("Sent")[0], "OK")
        self.assertFalse(os.path.exists(os.path.join(self.md, ".Sent")))
        self.assertEqual(s.delete("INBOX")[0], "NO")
        s.logout()

    def test_append_copy_move(self):
        self.deliver(PLAIN)
        self.deliver(MULTI)
        s = self.session()
        s.create("Archive")
        msg = b"From: me@example.org\r\nSubject: draft\r\n\r\nbody\r\n"
        typ, data = s.append("Archive", "(\\Seen \\Draft)", '"17-Jul-1996 02:44:25 -0700"', msg)
        self.assertEqual(typ, "OK")
        m = re.search(rb"\[APPENDUID (\d+) (\d+)\]", data[0])
        self.assertTrue(m)
        self.assertEqual(m.group(2), b"1")
        self.assertEqual(s.append("Nowhere", None, None, msg)[0], "NO")
        s.select("Archive")
        typ, data = s.fetch("1", "(FLAGS INTERNALDATE BODY.PEEK[])")
        self.assertIn(b"\\Seen", data[0][0])
        self.assertIn(b"\\Draft", data[0][0])
        self.assertIn(b'INTERNALDATE "17-Jul-1996 09:44:25 +0000"', data[0][0])
        self.assertEqual(data[0][1], msg)                 # stored with LF, served with CRLF
        s.select("INBOX")
        typ, data = s._simple_command("UID", "COPY", "1:2", "Archive")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"\[COPYUID \d+ 1,2 2,3\]")
        typ, data = s._simple_command("MOVE", "1", "Archive")
        self.assertEqual(typ, "OK")
        self.assertEqual(s.untagged_responses.get("EXPUNGE"), [b"1"])
        self.assertEqual(self.uids(s), [2])
        s.select("Archive")
        self.assertEqual(self.uids(s), [1, 2, 3, 4])
        typ, data = s.fetch("4", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(data[0][1], b"Subject: hello there\r\n\r\n")
        s.logout()

    def test_search(self):
        self.deliver(PLAIN)
        self.deliver(MULTI)
        self.deliver(PLAIN.replace(b"hello there", b"another one"))
        s = self.session()
        s.select("INBOX")
        s.store("2", "+FLAGS", "(\\Seen)")
        def search(*crit, uid=False):
            typ, data = (s.uid("SEARCH", *crit) if uid else s.search(None, *crit))
            self.assertEqual(typ, "OK")
            return data[0].split()
        self.assertEqual(search("ALL"), [b"1", b"2", b"3"])
        self.assertEqual(search("FROM", "alice"), [b"1", b"3"])
        self.assertEqual(search("SUBJECT", '"HELLO"'), [b"1"])
        self.assertEqual(search("SEEN"), [b"2"])
        self.assertEqual(search("UNSEEN", "NOT", "SUBJECT", "another"), [b"1"])
        self.assertEqual(search("OR", "SUBJECT", "attachment", "SUBJECT", "another"), [b"2", b"3"])
        self.assertEqual(search("BODY", '"line two"'), [b"1", b"3"])
        self.assertEqual(search("TEXT", "AAAA"), [b"2"])
        self.assertEqual(search("HEADER", "Message-ID", "m1@"), [b"1", b"3"])
        self.assertEqual(search("2:*", "(LARGER 10 SMALLER 100000)"), [b"2", b"3"])
        self.assertEqual(search("UID", "2:3", uid=True), [b"2", b"3"])
        self.assertEqual(search("SINCE", "1-Jan-2000"), [b"1", b"2", b"3"])
        self.assertEqual(search("BEFORE", "1-Jan-2000"), [])
        self.assertEqual(search("CHARSET", "UTF-8", "SUBJECT", "hello"), [b"1"])
        self.assertEqual(s._simple_command("SEARCH", "CHARSET", "KOI8-R", "ALL")[0], "NO")
        self.assertRaises(imaplib.IMAP4.error, s.search, None, "FOO")
        self.assertRaises(imaplib.IMAP4.error, s.search, None, "(" * 100 + "ALL" + ")" * 100)
        s.logout()

    def test_idle_announces_delivery(self):
        self.deliver(PLAIN)
        env = dict(os.environ, MAILDIR=self.md)
        p = subprocess.Popen([IMAPD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        try:
            def read_until(marker, limit):
                buf, end = b"", time.time() + limit
                while marker not in buf:
                    self.assertLess(time.time(), end, "no %r in %r" % (marker, buf))
                    line = p.stdout.readline()
                    self.assertTrue(line, "EOF before %r" % marker)
                    buf += line
                return buf
            p.stdin.write(b"a SELECT INBOX\r\nb IDLE\r\n")
            p.stdin.flush()
            read_until(b"+ idling", 5)
            start = time.time()
            self.deliver(MULTI)
            out = read_until(b"EXISTS", 5)
            self.assertLess(time.time() - start, 2.0)
            self.assertIn(b"* 2 EXISTS", out)
            p.stdin.write(b"DONE\r\nc LOGOUT\r\n")
            p.stdin.flush()
            out = read_until(b"c OK", 5)
            self.assertIn(b"b OK IDLE terminated", out)
        finally:
            p.stdin.close()
            p.wait(timeout=5)
            p.stdout.close()

    def raw(self, data, timeout=10):
        env = dict(os.environ, MAILDIR=self.md)
        p = subprocess.run([IMAPD], input=data, capture_output=True, env=env, timeout=timeout)
        return p.returncode, p.stdout

    def test_bad_input(self):
        self.deliver(PLAIN)
        rc, out = self.raw(b"a1 FETCH 1 FLAGS\r\n"
                           b"a2 FOO\r\n"
                           b"\r\n"
                           b"a3 SELECT\r\n"
                           b"a4 SELECT INBOX\r\n"
                           b"a5 FETCH 2 FLAGS\r\n"
                           b"a6 FETCH 1 (FLAGS\r\n"
                           b"a7 FETCH 1 BODY[9.9.9]\r\n"
                           b"a8 FETCH 1 BODY[HEADER.FIELDS ()]\r\n"
                           b"a9 STORE 1 +FLAGS (\\Seen\r\n"
                           b"b1 APPEND INBOX {99999999999}\r\n"
                           b"b2 LOGIN {999999999}\r\n"
                           b"b3 LOGOUT\r\n")
        self.assertEqual(rc, 0)
        text = out.decode("latin-1")
        self.assertIn("a1 BAD", text)
        self.assertIn("a2 BAD", text)
        self.assertIn("a3 BAD", text)
        self.assertIn("a4 OK", text)
        self.assertIn("a5 BAD", text)
        self.assertIn("a6 BAD", text)
        self.assertIn("a7 OK", text)            # a missing part is empty (RFC 3501)
        self.assertIn("BODY[9.9.9] {0}", text)
        self.assertIn("a8 BAD", text)
        self.assertIn("a9 BAD", text)
        self.assertIn("b1 BAD", text)
        self.assertIn("b2 BAD [TOOBIG]", text)
        self.assertIn("b3 OK", text)
        # a line longer than the limit ends the session with BYE, not a crash
        rc, out = self.raw(b"a1 NOOP " + b"x" * 70000 + b"\r\na2 NOOP\r\n")
        self.assertEqual(rc, 0)
        self.assertIn(b"* BYE", out)


if __name__ == "__main__":
    unittest.main()
