"""yubin-imapd's folders and keywords, as a mail client sees them through
imaplib: keywords kept per folder (Dovecot's dovecot-keywords and letters
a..z in the Maildir names), LIST-EXTENDED, LIST-STATUS, RENAME (of INBOX,
of folders with children, onto existing names), CREATE and DELETE, with
non-ASCII (modified UTF-7) folder names."""
import imaplib, os, re, shutil, tempfile, time, unittest

from yubintest import BUILD

IMAPD = os.path.join(BUILD, "yubin-imapd")

MSG = (b"From: Alice <alice@example.org>\n"
       b"To: bob@example.com\n"
       b"Subject: keywords\n"
       b"Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
       b"\n"
       b"body\n")

# "Entwürfe" and "Привет" in modified UTF-7 (RFC 3501 5.1.3)
ENTWURFE = "Entw&APw-rfe"
PRIVET = "&BB8EQAQ4BDIENQRC-"


@unittest.skipUnless(os.path.exists(IMAPD), "yubin-imapd not built")
class ImapFoldersBase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="yubin-imapf-")
        self.md = os.path.join(self.dir, "Maildir")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(self.md, sub))
        self.n = 0
        self.sessions = []

    def tearDown(self):
        for s in self.sessions:
            try:
                s.shutdown()
            except Exception:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def deliver(self, data=MSG, folder=None):
        self.n += 1
        md = self.md if folder is None else os.path.join(self.md, "." + folder)
        name = "%d.M%dP1Q%d.test,S=%d" % (1700000000 + self.n, self.n, self.n, len(data))
        with open(os.path.join(md, "tmp", name), "wb") as f:
            f.write(data)
        os.rename(os.path.join(md, "tmp", name), os.path.join(md, "new", name))

    def session(self):
        os.environ["MAILDIR"] = self.md
        s = imaplib.IMAP4_stream(IMAPD)
        self.sessions.append(s)
        return s

    def ok(self, r):
        typ, data = r
        self.assertEqual(typ, "OK", data)
        return data

    def cmd(self, s, name, *args):
        """A raw command: (status, untagged lines as bytes, tagged text)."""
        tag = s._command(name, *args)
        try:
            typ, data = s._command_complete(name, tag)
        except imaplib.IMAP4.error as e:
            return "BAD", [], str(e)
        return typ, data, s

    def raw(self, s, line):
        """Sends one command line as it is; returns (tagged status line,
        the untagged lines in between), both decoded."""
        tag = s._new_tag().decode()
        s.send(("%s %s\r\n" % (tag, line)).encode())
        lines = []
        while True:
            l = s._get_line()
            if isinstance(l, bytes):
                l = l.decode("utf-8", "replace")
            lit = re.search(r"\{(\d+)\}$", l)
            if lit:
                l += s.read(int(lit.group(1))).decode("utf-8", "replace") + s._get_line().decode()
            if l.startswith(tag + " "):
                if re.match(r"(SELECT|EXAMINE) ", line, re.I) and l[len(tag) + 1:].startswith("OK"):
                    s.state = "SELECTED"
                return l[len(tag) + 1:], lines
            lines.append(l)

    def flags(self, s, uid=None):
        typ, data = s.fetch("1:*", "(FLAGS)")
        self.assertEqual(typ, "OK")
        out = []
        for d in data:
            if d is None:
                continue
            m = re.search(rb"FLAGS \(([^)]*)\)", d)
            out.append(set(m.group(1).decode().split()) - {"\\Recent"})
        return out

    def names(self, folder=None):
        cur = os.path.join(self.md if folder is None else os.path.join(self.md, "." + folder), "cur")
        return sorted(os.listdir(cur))


class Keywords(ImapFoldersBase):
    def test_store_keeps_keywords_on_disk_and_announces_them(self):
        self.deliver()
        self.deliver()
        s = self.session()
        st, lines = self.raw(s, "SELECT INBOX")
        self.assertIn("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] flags", lines)
        st, lines = self.raw(s, "STORE 1 +FLAGS ($Forwarded $Junk)")
        self.assertTrue(st.startswith("OK"), st)
        flags_lines = [l for l in lines if l.startswith("* FLAGS")]
        self.assertEqual(len(flags_lines), 1, lines)
        self.assertIn("$Forwarded", flags_lines[0])
        self.assertIn("$Junk", flags_lines[0])
        self.assertTrue(any("PERMANENTFLAGS" in l and "\\*" in l and "$Junk" in l for l in lines), lines)
        self.assertTrue(any("FETCH" in l and "$Forwarded" in l and "$Junk" in l for l in lines), lines)
        # the same keyword again: no new FLAGS
        st, lines = self.raw(s, "STORE 2 +FLAGS ($junk)")
        self.assertFalse([l for l in lines if l.startswith("* FLAGS")], lines)
        self.assertEqual(self.flags(s), [{"$Forwarded", "$Junk"}, {"$Junk"}])
        # on disk: Dovecot's file and letters
        with open(os.path.join(self.md, "dovecot-keywords")) as f:
            self.assertEqual(f.read(), "0 $Forwarded\n1 $Junk\n")
        names = self.names()
        self.assertTrue(names[0].endswith(":2,ab"), names)
        self.assertTrue(names[1].endswith(":2,b"), names)
        # a new session: FLAGS and PERMANENTFLAGS list them; SEARCH finds them
        s2 = self.session()
        tag_st, lines = self.raw(s2, "SELECT INBOX")
        self.assertTrue(any(l.startswith("* FLAGS") and "$Forwarded $Junk" in l for l in lines), lines)
        self.assertEqual(self.ok(s2.search(None, "KEYWORD", "$Forwarded")), [b"1"])
        self.assertEqual(self.ok(s2.search(None, "KEYWORD", "$JUNK")), [b"1 2"])
        self.assertEqual(self.ok(s2.search(None, "UNKEYWORD", "$Forwarded")), [b"2"])
        self.assertEqual(self.ok(s2.search(None, "KEYWORD", "$NotJunk")), [b""])
        self.assertEqual(self.ok(s2.uid("SEARCH", "NOT", "KEYWORD", "$Junk")), [b""])
        # removing, and replacing the whole set
        self.ok(s2.store("1", "-FLAGS", "($Forwarded)"))
        self.ok(s2.store("2", "FLAGS", "(\\Seen $MDNSent)"))
        self.assertEqual(self.flags(s2), [{"$Junk"}, {"\\Seen", "$MDNSent"}])
        # the first session hears of the new keyword at its next command
        st, lines = self.raw(s, "NOOP")
        self.assertTrue(any(l.startswith("* FLAGS") and "$MDNSent" in l for l in lines), lines)

    def test_append_copy_move_map_keywords(self):
        self.deliver()
        s = self.session()
        self.ok(s.create("Other"))
        # the destination already has its own letters
        with open(os.path.join(self.md, ".Other", "dovecot-keywords"), "w") as f:
            f.write("0 Work\n1 NonJunk\n")
        self.ok(s.append("Other", "(\\Seen $label1 NonJunk)", None, MSG))
        self.ok(s.select("INBOX"))
        self.ok(s.store("1", "+FLAGS", "($label1 Junk $Forwarded)"))
        self.ok(s.copy("1", "Other"))
        with open(os.path.join(self.md, "dovecot-keywords")) as f:
            self.assertEqual(f.read(), "0 $label1\n1 Junk\n2 $Forwarded\n")
        with open(os.path.join(self.md, ".Other", "dovecot-keywords")) as f:
            self.assertEqual(f.read(), "0 Work\n1 NonJunk\n2 $label1\n3 Junk\n4 $Forwarded\n")
        self.ok(s.select("Other"))
        self.assertEqual(self.flags(s), [{"\\Seen", "$label1", "NonJunk"}, {"$label1", "Junk", "$Forwarded"}])
        names = self.names("Other")
        self.assertTrue(names[0].endswith(":2,Sbc"), names)
        self.assertTrue(names[1].endswith(":2,cde"), names)
        # MOVE back to a new folder
        self.ok(s.create(ENTWURFE))
        typ, data = s.uid("MOVE", "1:*", ENTWURFE)
        self.assertEqual(typ, "OK", data)
        self.ok(s.select(ENTWURFE))
        self.assertEqual(self.flags(s), [{"\\Seen", "$label1", "NonJunk"}, {"$label1", "Junk", "$Forwarded"}])
        self.assertEqual(self.ok(s.search(None, "KEYWORD", "Junk")), [b"2"])

    def test_damaged_map_and_unnamed_letters(self):
        self.deliver()
        s = self.session()
        self.ok(s.select("INBOX"))
        s.logout()
        self.sessions.remove(s)
        # letters c and z have no name; the file has damaged lines
        cur = os.path.join(self.md, "cur")
        old = os.listdir(cur)[0]
        base = old.split(":2,")[0]
        os.rename(os.path.join(cur, old), os.path.join(cur, base + ":2,Sabcz"))
        with open(os.path.join(self.md, "dovecot-keywords"), "wb") as f:
            f.write(b"0 $Junk\n1 bad(name\nnonsense\n99 Far\n0 Again\n 1 x\n"
                    b"3 $Junk\n4\n\xff\xfe 5\n1 Second\n")
        s = self.session()
        self.ok(s.select("INBOX"))
        self.assertEqual(self.flags(s), [{"\\Seen", "$Junk", "Second"}])
        # a new keyword does not take a letter still on a message
        self.ok(s.store("1", "+FLAGS", "(Fresh)"))
        self.assertEqual(self.flags(s), [{"\\Seen", "$Junk", "Second", "Fresh"}])
        with open(os.path.join(self.md, "dovecot-keywords")) as f:
            text = f.read()
        self.assertEqual(text, "0 $Junk\n1 Second\n3 Fresh\n")
        # replacing the flags keeps the letters without a name
        self.ok(s.store("1", "FLAGS", "(\\Flagged)"))
        self.assertEqual(self.flags(s), [{"\\Flagged"}])
        self.assertTrue(self.names()[0].endswith(":2,Fcz"), self.names())

    def test_at_most_26_keywords(self):
        self.deliver()
        s = self.session()
        self.ok(s.select("INBOX"))
        kws = ["k%02d" % i for i in range(26)]
        self.ok(s.store("1", "+FLAGS", "(%s)" % " ".join(kws[:20])))
        self.ok(s.store("1", "+FLAGS", "(%s)" % " ".join(kws[20:])))
        st, lines = self.raw(s, "STORE 1 +FLAGS (one-too-many)")
        self.assertTrue(st.startswith("NO [LIMIT]"), st)
        self.assertEqual(self.flags(s), [set(kws)])
        st, lines = self.raw(s, "SELECT INBOX")
        perm = [l for l in lines if "PERMANENTFLAGS" in l][0]
        self.assertNotIn("\\*", perm)
        self.assertIn("k25", perm)
        st, lines = self.raw(s, "APPEND INBOX (another) {5+}\r\nhello")
        self.assertTrue(st.startswith("NO [LIMIT]"), st)
        st, lines = self.raw(s, "STORE 1 +FLAGS (bad\x01)")
        self.assertTrue(st.startswith("BAD"), st)


if __name__ == "__main__":
    unittest.main()
