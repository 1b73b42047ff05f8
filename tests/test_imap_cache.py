"""The per-folder cache of yubin-imapd (FOLDER/yubin-imap.cache, imapd/cache.h):
what a client fetches is the same with and without it; it survives
sessions; a deleted, garbage, truncated or foreign cache file is rebuilt
with the same answers; flag changes, expunges and deliveries by others are
followed; a message replaced under the same name is not answered from its
old entry.  Pre-authenticated sessions (IMAP4_stream), and one login
through the real services of an instance."""
import imaplib, os, struct, time, unittest

from imaptest import IMAPD, MaildirCase
from yubintest import BUILD, Instance, is_root
CACHE = "yubin-imap.cache"
ITEMS = "(INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY)"

PLAIN = (b"From: Alice Example <alice@example.org>\n"
         b"To: bob@example.com, carol@example.net\n"
         b"Subject: hello there\n"
         b"Date: Mon, 23 Nov 2026 10:00:00 +0000\n"
         b"Message-ID: <m1@example.org>\n"
         b"\n"
         b"line one\nline two\n")

FOLDED = (b"From: \"Bob, the builder\" <bob@example.com>\n"
          b"Sender: list@example.net\n"
          b"Reply-To: undisclosed-recipients:;\n"
          b"To: a@example.org,\n"
          b"\tb@example.org,\n"
          b"  \"C\" <c@example.org>\n"
          b"Cc: \n"
          b"Subject: =?utf-8?q?caf=C3=A9?= and a\n"
          b" folded subject\n"
          b"In-Reply-To: <m1@example.org>\n"
          b"References: <m0@example.org> <m1@example.org>\n"
          b"Message-ID: <m2@example.org>\n"
          b"\n"
          b"body\n")

MULTI = (b"From: c@example.org\n"
         b"Subject: with attachment\n"
         b"MIME-Version: 1.0\n"
         b"Content-Type: multipart/mixed; boundary=\"xyz\"\n"
         b"\n"
         b"--xyz\n"
         b"Content-Type: text/plain; charset=utf-8\n"
         b"Content-Language: en\n"
         b"\n"
         b"hi\n"
         b"--xyz\n"
         b"Content-Type: message/rfc822\n"
         b"\n"
         b"From: inner@example.org\n"
         b"Subject: inner\n"
         b"\n"
         b"inner body\n"
         b"--xyz\n"
         b"Content-Type: application/pdf; name=\"a.pdf\"\n"
         b"Content-Transfer-Encoding: base64\n"
         b"Content-Disposition: attachment; filename=\"a.pdf\"\n"
         b"\n"
         b"AAAA\n"
         b"--xyz--\n")

NOHEADER = b"just a body, no header at all\n"

# a Subject longer than one cache field may hold: never cached, always right
LONG = b"From: long@example.org\nSubject: " + b"x" * 5000 + b"\n\nlong\n"


@unittest.skipUnless(os.path.exists(IMAPD), "yubin-imapd not built")
class ImapCache(MaildirCase):
    select_inbox = True

    def fetch_all(self, s, items=ITEMS):
        typ, data = s.fetch("1:*", items)
        self.assertEqual(typ, "OK")
        return data

    def cache_path(self):
        return os.path.join(self.md, CACHE)

    def fill(self):
        for m in (PLAIN, FOLDED, MULTI, NOHEADER, LONG):
            self.deliver(m)

    def test_answers_survive_sessions(self):
        self.fill()
        s = self.session()
        first = self.fetch_all(s)
        s.logout()
        self.assertTrue(os.path.exists(self.cache_path()))
        st = os.stat(self.cache_path())
        self.assertGreater(st.st_size, 32)
        self.assertEqual(st.st_mode & 0o777, 0o600)
        # a second session answers the same from the cache, adding nothing
        s = self.session()
        self.assertEqual(self.fetch_all(s), first)
        s.logout()
        self.assertEqual(os.stat(self.cache_path()).st_size, st.st_size)
        # what FETCH shows of the first message, read back from the cache
        s = self.session()
        typ, data = s.fetch("1", "(ENVELOPE RFC822.SIZE)")
        self.assertIn(b'"hello there"', data[0])
        self.assertIn(b'(("Alice Example" NIL "alice" "example.org"))', data[0])
        self.assertIn(b"RFC822.SIZE %d" % (len(PLAIN) + PLAIN.count(b"\n")), data[0])
        typ, data = s.fetch("2", "(ENVELOPE)")
        self.assertIn(b'"<m1@example.org>" "<m2@example.org>"', flat(data))
        self.assertIn(b'(("Bob, the builder" NIL "bob" "example.com"))', flat(data))
        s.logout()

    def test_rebuilt_when_lost_or_damaged(self):
        self.fill()
        s = self.session()
        first = self.fetch_all(s)
        s.logout()
        good = open(self.cache_path(), "rb").read()
        damage = {
            "deleted": None,
            "garbage": os.urandom(len(good)),
            "truncated": good[:len(good) // 2 + 7],
            "flipped": good[:200] + bytes([good[200] ^ 0xff]) + good[201:],
            "huge lengths": good[:32] + b"\xff" * 64 + good[96:],
            "foreign": b"yubin-imap-cache" + b"\x01\x00\x00\x00" + b"\x07\x00\x00\x00" + good[24:],
            "empty": b"",
        }
        for what, content in damage.items():
            with self.subTest(damage=what):
                os.unlink(self.cache_path())
                if content is not None:
                    with open(self.cache_path(), "wb") as f:
                        f.write(content)
                s = self.session()
                self.assertEqual(self.fetch_all(s), first)
                s.logout()
                with open(self.cache_path(), "rb") as f:
                    self.assertEqual(f.read(16), b"yubin-imap-cache")
                s = self.session()      # and the rebuilt cache answers the same
                self.assertEqual(self.fetch_all(s), first)
                s.logout()
        # a symbolic link in its place is neither followed nor written through
        target = os.path.join(self.dir, "elsewhere")
        with open(target, "wb") as f:
            f.write(good)
        os.unlink(self.cache_path())
        os.symlink(target, self.cache_path())
        s = self.session()
        self.assertEqual(self.fetch_all(s), first)
        s.logout()
        self.assertFalse(os.path.islink(self.cache_path()))
        self.assertEqual(open(target, "rb").read(), good)

    def test_forged_record_cannot_break_framing(self):
        self.deliver(PLAIN)
        s = self.session()
        first = self.fetch_all(s)
        s.logout()
        (name,) = os.listdir(os.path.join(self.md, "cur"))
        ino = os.stat(os.path.join(self.md, "cur", name)).st_ino
        uid = int(name.split(",U=")[1].split(".")[1].split(":")[0])
        # a record for the message, correct checksum, an answer that would
        # end the response early and inject a line of its own
        with open(self.cache_path(), "ab") as f:
            f.write(forged_record(uid, ino, 99, b"forged", b'(NIL)\r\n* 1 EXPUNGE\r\n* OK ("x"'))
        s = self.session()
        typ, data = s.fetch("1", "(BODYSTRUCTURE)")
        self.assertEqual(typ, "OK")
        self.assertNotIn(b"EXPUNGE", flat(data))
        self.assertEqual(self.fetch_all(s), first)
        s.logout()

    def test_header_search_same_with_cache(self):
        self.fill()
        s = self.session()
        want = {}
        keys = (("FROM", "alice"), ("FROM", "BUILDER"), ("SUBJECT", "folded"), ("TO", "c@example.org"),
                ("HEADER", "Message-ID", "m2@"), ("CC", "nobody"), ("SUBJECT", "xxxxx"))
        for k in keys:   # before anything is cached: from the files
            typ, data = s.uid("SEARCH", *k)
            want[k] = data[0]
        self.assertEqual(want[("FROM", "alice")], b"1")
        self.assertEqual(want[("SUBJECT", "folded")], b"2")
        self.assertEqual(want[("SUBJECT", "xxxxx")], b"5")
        s.logout()
        s = self.session()
        self.fetch_all(s)
        s.logout()
        s = self.session()
        for k in keys:
            self.assertEqual(s.uid("SEARCH", *k)[1][0], want[k], k)
        s.logout()

    def test_follows_other_sessions_and_deliveries(self):
        self.fill()
        a = self.session()
        self.fetch_all(a)
        b = self.session()
        self.assertEqual(b.store("1", "+FLAGS", "(\\Seen \\Flagged)")[0], "OK")
        self.assertEqual(b.store("2", "+FLAGS", "(\\Deleted)")[0], "OK")
        self.assertEqual(b.expunge()[0], "OK")
        self.deliver(b"From: late@example.org\nSubject: late one\n\nhi\n")
        b.noop()
        typ, data = a.noop()
        self.assertEqual(a.response("EXPUNGE")[1], [b"2"])
        self.assertEqual(a.response("EXISTS")[1][-1], b"5")
        after = self.fetch_all(a, "(UID FLAGS ENVELOPE)")
        self.assertIn(b"\\Seen", after[0])
        self.assertIn(b"\\Flagged", after[0])
        self.assertIn(b'"late one"', after[-1])
        self.assertNotIn(b"folded", flat(after))
        # a new session sees the same as the one that followed the changes
        c = self.session()
        self.assertEqual(self.fetch_all(c, "(UID ENVELOPE)"), self.fetch_all(a, "(UID ENVELOPE)"))
        self.assertIn(b"\\Flagged", flat(self.fetch_all(c, "(FLAGS)")))

    def test_replaced_message_not_served_stale(self):
        self.deliver(PLAIN)
        self.deliver(FOLDED)
        s = self.session()
        self.fetch_all(s)
        s.logout()
        (name,) = [n for n in os.listdir(os.path.join(self.md, "cur")) if ".M1P1Q1." in n]
        new = PLAIN.replace(b"hello there", b"replaced subject, longer than before")
        tmp = os.path.join(self.md, "tmp", "replace")
        with open(tmp, "wb") as f:
            f.write(new)
        os.rename(tmp, os.path.join(self.md, "cur", name))     # same name, another file
        s = self.session()
        typ, data = s.fetch("1", "(ENVELOPE RFC822.SIZE BODY[HEADER.FIELDS (SUBJECT)])")
        self.assertIn(b'"replaced subject, longer than before"', data[0][0])
        self.assertIn(b"RFC822.SIZE %d" % (len(new) + new.count(b"\n")), data[0][0])
        self.assertEqual(s.search(None, "SUBJECT", "replaced")[1][0], b"1")
        self.assertEqual(s.search(None, "SUBJECT", "hello")[1][0], b"")
        s.logout()


M64 = (1 << 64) - 1


def cache_sum(p):
    """imapd/cache.c cache_sum()."""
    h = (0x9e3779b97f4a7c15 ^ len(p)) & M64
    i = 0
    while i + 8 <= len(p):
        h = ((h ^ int.from_bytes(p[i:i + 8], "little")) * 0x100000001b3) & M64
        h ^= h >> 29
        i += 8
    for b in p[i:]:
        h = ((h ^ b) * 0x100000001b3) & M64
    return h ^ (h >> 32)


def forged_record(uid, ino, size, subject, bs):
    """A cache record (cache.h layout) with a correct checksum."""
    b = struct.pack("<IIQQq", 0, uid, ino, size, 1700000000) + struct.pack("<H", 3) + b"key"
    fields = [None, subject] + [None] * 9
    for f in fields:
        b += struct.pack("<H", 0xffff) if f is None else struct.pack("<H", len(f)) + f
    b += struct.pack("<I", len(bs)) + bs + struct.pack("<I", len(bs)) + bs
    b = struct.pack("<I", len(b) + 8) + b[4:]
    return b + struct.pack("<Q", cache_sum(b))


def age(md):
    """cur/ and new/ last changed a minute ago: a listing now can be trusted."""
    t = time.time() - 60
    for sub in ("cur", "new"):
        os.utime(os.path.join(md, sub), (t, t))


def flat(data):
    return b"".join(x if isinstance(x, bytes) else b"".join(x) for x in data)


@unittest.skipUnless(os.path.exists(IMAPD), "yubin-imapd not built")
class ImapSavedListing(MaildirCase):
    """A large folder's saved listing (yubin-imap.list) is used by the next
    SELECT only while cur/ and new/ are unchanged: never a stale view."""
    select_inbox = True

    def exists(self, s):
        typ, data = s.select("INBOX")
        self.assertEqual(typ, "OK")
        return int(data[0])

    def test_saved_listing_follows_changes(self):
        for i in range(1200):
            self.deliver(b"From: n%d@example.org\nSubject: number %d\n\nbody\n" % (i, i))
        s = self.session()
        s.logout()
        listing = os.path.join(self.md, "yubin-imap.list")
        self.assertFalse(os.path.exists(listing))      # cur/ just changed: not trusted
        age(self.md)
        s = self.session()
        self.assertEqual(self.exists(s), 1200)
        s.logout()
        self.assertTrue(os.path.exists(listing))
        s = self.session()                              # from the saved listing
        before = s.fetch("1:*", "(UID FLAGS ENVELOPE)")[1]
        self.assertEqual(len(before), 1200)
        # another session changes flags (renames in cur/)
        b = self.session()
        self.assertEqual(b.store("5", "+FLAGS", "(\\Flagged)")[0], "OK")
        b.logout()
        c = self.session()
        self.assertIn(b"\\Flagged", c.fetch("5", "(FLAGS)")[1][0])
        c.logout()
        # a message removed by hand, then a delivery
        age(self.md)
        c = self.session()
        c.logout()
        victim = sorted(os.listdir(os.path.join(self.md, "cur")))[0]
        os.unlink(os.path.join(self.md, "cur", victim))
        c = self.session()
        self.assertEqual(self.exists(c), 1199)
        c.logout()
        self.deliver(b"From: last@example.org\nSubject: the last\n\nbody\n")
        c = self.session()
        self.assertEqual(self.exists(c), 1200)
        self.assertIn(b"the last", flat(c.fetch("1200", "(ENVELOPE)")[1]))
        c.logout()
        # a damaged listing is ignored
        age(self.md)
        c = self.session()
        want = c.fetch("1:*", "(UID ENVELOPE)")[1]
        c.logout()
        with open(listing, "r+b") as f:
            f.seek(500)
            f.write(b"garbage")
        c = self.session()
        self.assertEqual(c.fetch("1:*", "(UID ENVELOPE)")[1], want)
        c.logout()


@unittest.skipUnless(os.path.exists(os.path.join(BUILD, "yubin-imap-login")), "IMAP not built")
class ImapCacheLogin(unittest.TestCase):
    """The cache through a real login: written by the session under the
    account's uid in the account's Maildir, and used by the next login."""

    def test_cache_over_login(self):
        with Instance(start=False) as inst:
            inst.control("plainloopback", "")
            inst.start()
            addr, pw = "cached@imap.example", "secret-pass-cache"
            inst.add_account(addr, pw)
            for i in range(3):
                inst.sendmail(["-f", "s@example.org", addr],
                              b"From: s%d@example.org\nTo: %s\nSubject: cached %d\n\nbody\n" % (i, addr.encode(), i))
            inst.wait_maildir("imap.example", "cached", 3)
            answers = []
            for _ in range(2):
                m = imaplib.IMAP4("127.0.0.1", 2143 + inst.port_offset, timeout=30)
                self.assertEqual(m.login(addr, pw)[0], "OK")
                self.assertEqual(m.select("INBOX"), ("OK", [b"3"]))
                typ, data = m.fetch("1:*", "(RFC822.SIZE ENVELOPE BODYSTRUCTURE)")
                self.assertEqual(typ, "OK")
                answers.append(data)
                self.assertEqual(m.uid("SEARCH", "FROM", "s1@")[0], "OK")
                m.logout()
            self.assertEqual(answers[0], answers[1])
            self.assertIn(b'"cached 2"', answers[0][2])
            path = os.path.join(inst.home("imap.example", "cached"), "Maildir", CACHE)
            st = os.stat(path)
            home = os.stat(os.path.join(inst.home("imap.example", "cached"), "Maildir"))
            self.assertEqual((st.st_uid, st.st_mode & 0o777), (home.st_uid, 0o600))
            if is_root():
                self.assertNotEqual(st.st_uid, 0)


if __name__ == "__main__":
    unittest.main()
