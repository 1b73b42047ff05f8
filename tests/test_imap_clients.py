"""The IMAP server as the mail clients of issue 7 use it: the command
sequences Thunderbird, RoundCube, Apple Mail/iOS and Outlook send at start-up
and while working, and fetchmail fetching over IMAP with TLS, all through the
real imap (STARTTLS) and imaps services of an instance, with an account made
by `yubinctl account add`.  Each test asserts what the client would show."""
import email, email.policy, imaplib, os, re, shutil, subprocess, tempfile, time, unittest

from yubintest import BUILD
from imapclient import (start_instance, new_account, starttls_session, tls_session, raw, caps,
                        deliver, wait_count, san_errors, imap_port, imaps_port)

PLAIN = ("From: Alice Example <alice@example.org>\nTo: %s\nSubject: %s\n"
         "Date: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <%s@example.org>\n\n%s\n")

MULTI = """From: Bob <bob@example.org>
To: %s
Subject: report with attachment
Date: Tue, 24 Nov 2026 11:00:00 +0000
Message-ID: <multi@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=utf-8

the plain text
--inner
Content-Type: text/html; charset=utf-8

<p>the html text</p>
--inner--
--outer
Content-Type: application/pdf; name="report.pdf"
Content-Disposition: attachment; filename="report.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJcfsj6IK
--outer--
"""

TB_HEADERS = ("From To Cc Bcc Subject Date Message-ID Priority X-Priority References "
              "Newsgroups In-Reply-To Content-Type Reply-To")


def flags_of(resp):
    mo = re.search(rb"FLAGS \(([^)]*)\)", resp)
    return mo.group(1).split() if mo else None


def uid_of(resp):
    return int(re.search(rb"UID (\d+)", resp).group(1))


@unittest.skipUnless(os.path.exists(os.path.join(BUILD, "yubin-imap-login")), "IMAP not built")
class Clients(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.inst = start_instance()

    @classmethod
    def tearDownClass(cls):
        cls.inst.__exit__(None, None, None)

    def tearDown(self):
        self.assertEqual(san_errors(self.inst), [])

    def account_with_mail(self, subjects):
        addr, pw = new_account(self.inst)
        for i, s in enumerate(subjects):
            deliver(self.inst, addr, (PLAIN % (addr, s, "m%d" % i, "body of " + s)).encode())
        wait_count(self.inst, addr, len(subjects))
        return addr, pw

    def test_thunderbird(self):
        addr, pw = self.account_with_mail(["tb one", "tb two", "tb three"])
        m = starttls_session(self.inst)
        c = caps(m)
        self.assertIn("IMAP4REV1", c)
        self.assertEqual(m.login(addr, pw)[0], "OK")
        c = caps(m)
        for cap in ("IDLE", "UIDPLUS", "MOVE", "SPECIAL-USE", "NAMESPACE", "ID", "ENABLE", "CHILDREN"):
            self.assertIn(cap, c)
        tag, u = raw(m, 'ID ("name" "Thunderbird" "version" "115.4.1")')
        self.assertTrue(tag.endswith(b"OK ID completed") or b" OK" in tag, tag)
        self.assertTrue(any(r.startswith(b"* ID ") for r in u))
        want = "CONDSTORE" if "CONDSTORE" in c else "UTF8=ACCEPT"
        tag, u = raw(m, "ENABLE " + want)
        self.assertIn(b" OK", tag)
        if "LIST-EXTENDED" in c:
            tag, u = raw(m, 'LIST (SPECIAL-USE) "" "*"')
            self.assertIn(b" OK", tag)
            listed = {re.search(rb'"\." "?([^"\r\n]*)"?\r\n$', r).group(1): r for r in u}
            self.assertIn(b"\\Sent", listed[b"Sent"])
            self.assertNotIn(b"INBOX", listed)   # SPECIAL-USE selection: only folders with a use
            tag, u = raw(m, 'LIST "" "*" RETURN (SPECIAL-USE SUBSCRIBED)')
        else:
            tag, u = raw(m, 'LIST "" "*"')
        self.assertIn(b" OK", tag)
        folders = {}
        for r in u:
            mo = re.match(rb'\* LIST \(([^)]*)\) "\." "?([^"\r\n]*)"?\r\n$', r)
            self.assertTrue(mo, r)
            folders[mo.group(2).decode()] = mo.group(1).decode().split()
        self.assertEqual(set(folders), {"INBOX", "Sent", "Drafts", "Trash", "Junk", "Archive"})
        for name, use in (("Sent", "\\Sent"), ("Drafts", "\\Drafts"), ("Trash", "\\Trash"),
                          ("Junk", "\\Junk"), ("Archive", "\\Archive")):
            self.assertIn(use, folders[name])
            if "LIST-EXTENDED" in c:
                self.assertIn("\\Subscribed", folders[name])
        tag, u = raw(m, 'LSUB "" "*"')
        self.assertIn(b" OK", tag)
        self.assertGreaterEqual(len(u), 5)
        unread = {}
        for name in sorted(folders):
            tag, u = raw(m, 'STATUS "%s" (UIDNEXT MESSAGES UNSEEN RECENT)' % name)
            self.assertIn(b" OK", tag)
            unread[name] = int(re.search(rb"UNSEEN (\d+)", u[0]).group(1))
        self.assertEqual(unread["INBOX"], 3)
        self.assertEqual(unread["Trash"], 0)
        tag, u = raw(m, "SELECT INBOX (CONDSTORE)" if "CONDSTORE" in c else "SELECT INBOX")
        self.assertIn(b"OK [READ-WRITE]", tag)
        self.assertIn(b"* 3 EXISTS\r\n", u)
        self.assertIn(b"* 3 RECENT\r\n", u)   # STATUS took no message's \Recent
        uidnext = int(re.search(rb"UIDNEXT (\d+)", b"".join(u)).group(1))
        if "CONDSTORE" in c:
            highest = int(re.search(rb"HIGHESTMODSEQ (\d+)", b"".join(u)).group(1))
        tag, u = raw(m, "UID FETCH 1:* (FLAGS)")
        self.assertIn(b" OK", tag)
        self.assertEqual(len(u), 3)
        uids = [uid_of(r) for r in u]
        self.assertEqual(uids, sorted(uids))
        self.assertEqual(uidnext, uids[-1] + 1)
        tag, u = raw(m, "UID FETCH %d:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (%s)])"
                     % (uids[1], TB_HEADERS))
        self.assertIn(b" OK", tag)
        self.assertEqual(len(u), 2)
        self.assertIn(b"Subject: tb two\r\n", u[0])
        self.assertIn(b"From: Alice Example <alice@example.org>\r\n", u[0])
        self.assertNotIn(b"Received:", u[0])
        self.assertNotIn(b"\\Seen", flags_of(u[0]))   # PEEK leaves the message unread
        # IDLE: a new delivery shows up as the client waits
        itag = m._new_tag()
        m.send(itag + b" IDLE\r\n")
        self.assertTrue(m.readline().startswith(b"+"))
        deliver(self.inst, addr, (PLAIN % (addr, "tb four", "m4", "four")).encode())
        deadline = time.time() + 30
        line = m.readline()
        while b"EXISTS" not in line:
            self.assertLess(time.time(), deadline)
            line = m.readline()
        self.assertEqual(line, b"* 4 EXISTS\r\n")
        m.send(b"DONE\r\n")
        line = m.readline()
        while not line.startswith(itag):
            line = m.readline()
        self.assertIn(b"OK", line)
        # the user sends a message: Thunderbird appends it to Sent as read
        sent = (PLAIN % ("carol@example.org", "tb sent", "s1", "sent body")).replace("\n", "\r\n").encode()
        typ, data = m.append("Sent", "(\\Seen)", imaplib.Time2Internaldate(time.time()), sent)
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb"\[APPENDUID \d+ \d+\]")
        tag, u = raw(m, 'STATUS "Sent" (MESSAGES UNSEEN)')
        self.assertIn(b"MESSAGES 1", u[0])
        self.assertIn(b"UNSEEN 0", u[0])
        # reading the first message marks it read, a second session sees that
        tag, u = raw(m, "UID STORE %d +FLAGS (\\Seen)" % uids[0])
        self.assertIn(b" OK", tag)
        self.assertIn(b"\\Seen", flags_of(u[0]))
        if "CONDSTORE" in c:
            # the quick resynchronisation: only what changed since SELECT
            tag, u = raw(m, "UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % highest)
            self.assertIn(b" OK", tag)
            self.assertEqual({uid_of(r) for r in u}, {uids[0], uidnext})   # read, and the new one
            for r in u:
                self.assertRegex(r, rb"MODSEQ \(\d+\)")
        m2 = tls_session(self.inst, addr, pw)
        m2.select("INBOX", readonly=True)
        tag, u = raw(m2, "UID FETCH %d (FLAGS)" % uids[0])
        self.assertIn(b"\\Seen", flags_of(u[0]))
        tag, u = raw(m2, 'STATUS "INBOX" (UNSEEN)')
        self.assertIn(b"UNSEEN 3", u[0])
        # the user deletes the second message: UID MOVE to Trash
        tag, u = raw(m, "UID MOVE %d Trash" % uids[1])
        self.assertIn(b" OK", tag)
        joined = b"".join(u) + tag
        self.assertRegex(joined, rb"COPYUID \d+ %d \d+" % uids[1])
        self.assertIn(b"* 2 EXPUNGE\r\n", u)
        tag, u = raw(m, "EXPUNGE")
        self.assertIn(b" OK", tag)
        tag, u = raw(m, "UID FETCH 1:* (FLAGS)")
        self.assertEqual(len(u), 3)
        self.assertNotIn(uids[1], [uid_of(r) for r in u])
        m.select("Trash")
        tag, u = raw(m, "UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (Subject)])")
        self.assertEqual(len(u), 1)
        self.assertIn(b"Subject: tb two", u[0])
        # the second session hears of the move at its next NOOP
        tag, u = raw(m2, "NOOP")
        self.assertIn(b"* 2 EXPUNGE\r\n", u)
        m2.logout()
        m.logout()

    def test_roundcube(self):
        addr, pw = new_account(self.inst)
        deliver(self.inst, addr, (MULTI % addr).encode())
        deliver(self.inst, addr, (PLAIN % (addr, "zebra", "z", "z")).encode())
        deliver(self.inst, addr, (PLAIN % (addr, "apple", "a", "a")).encode())
        wait_count(self.inst, addr, 3)
        m = starttls_session(self.inst)
        self.assertEqual(m.login(addr, pw)[0], "OK")
        c = caps(m)
        raw(m, 'ID ("name" "Roundcube" "version" "1.6.5")')
        tag, u = raw(m, "NAMESPACE")
        self.assertIn(b'* NAMESPACE (("" ".")) NIL NIL\r\n', u)
        tag, u = raw(m, 'LIST "" "*"')
        self.assertEqual(len(u), 6)
        if "LIST-STATUS" in c:
            # the folder list with unread counts in one command (RFC 5819)
            tag, u = raw(m, 'LIST "" "*" RETURN (SPECIAL-USE STATUS (MESSAGES UNSEEN))')
            self.assertIn(b" OK", tag)
            status = {re.match(rb'\* STATUS "?([^" ]+)"? ', r).group(1): r for r in u if r.startswith(b"* STATUS")}
            self.assertEqual(len(status), 6, u)
            self.assertIn(b"MESSAGES 3 UNSEEN 3", status[b"INBOX"])
            self.assertIn(b"MESSAGES 0 UNSEEN 0", status[b"Trash"])
        tag, u = raw(m, "SELECT INBOX")
        self.assertIn(b"* 3 EXISTS\r\n", u)
        if "SORT" in c:
            tag, u = raw(m, "UID SORT (SUBJECT) UTF-8 ALL")
            self.assertIn(b" OK", tag)
            uids = [int(x) for x in u[0].split()[2:]]
            self.assertEqual(len(uids), 3)
            tag, s = raw(m, "UID FETCH %s (BODY.PEEK[HEADER.FIELDS (SUBJECT)])" % ",".join(map(str, uids)))
            byuid = {uid_of(r): re.search(rb"Subject: (.*)\r\n", r).group(1) for r in s}
            self.assertEqual([byuid[x] for x in uids], [b"apple", b"report with attachment", b"zebra"])
        if "ESEARCH" in c:
            tag, u = raw(m, "UID SEARCH RETURN (MIN MAX COUNT ALL) ALL")
            self.assertIn(b" OK", tag)
            self.assertRegex(u[0], rb"^\* ESEARCH \(TAG \"[^\"]+\"\) UID .*COUNT 3")
        if "THREAD=REFERENCES" in c:
            tag, u = raw(m, "UID THREAD REFERENCES UTF-8 ALL")
            self.assertIn(b" OK", tag)
            self.assertTrue(u[0].startswith(b"* THREAD "))
        tag, u = raw(m, "UID SEARCH SUBJECT report")
        uid = int(u[0].split()[2])
        tag, u = raw(m, "UID FETCH %d (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS "
                        "(DATE FROM TO SUBJECT CONTENT-TYPE CC REPLY-TO LIST-POST "
                        "DISPOSITION-NOTIFICATION-TO X-PRIORITY)])" % uid)
        self.assertIn(b"multipart/mixed", u[0])
        tag, u = raw(m, "UID FETCH %d (BODYSTRUCTURE)" % uid)
        self.assertIn(b" OK", tag)
        bs = u[0].lower()   # atoms and strings other than values compare without case
        self.assertIn(b'("text" "plain" ("charset" "utf-8")', bs)
        self.assertIn(b'("text" "html" ("charset" "utf-8")', bs)
        self.assertIn(b'"alternative"', bs)
        self.assertIn(b'"mixed"', bs)
        self.assertIn(b'("attachment" ("filename" "report.pdf"))', bs)
        tag, u = raw(m, "UID FETCH %d (BODY.PEEK[1.2])" % uid)
        self.assertIn(b"<p>the html text</p>", u[0])
        self.assertNotIn(b"plain text", u[0])
        tag, u = raw(m, "UID FETCH %d (BODY.PEEK[1.1.MIME] BODY.PEEK[2])" % uid)
        self.assertIn(b"JVBERi0xLjQKJcfsj6IK", u[0])
        tag, u = raw(m, "UID FETCH %d (FLAGS)" % uid)
        self.assertNotIn(b"\\Seen", flags_of(u[0]))
        tag, u = raw(m, "UID FETCH %d (BODY[1.1])" % uid)   # reading marks it read
        self.assertIn(b"\\Seen", u[0])
        m.logout()

    def test_apple_mail_ios(self):
        addr, pw = self.account_with_mail(["ios one"])
        m = tls_session(self.inst)
        c = caps(m)
        raw(m, 'ID ("name" "iPhone Mail" "version" "20B110" "os" "iOS" "os-version" "16.1")')
        self.assertEqual(m.login(addr, pw)[0], "OK")
        tag, u = raw(m, 'ID ("name" "iPhone Mail" "version" "20B110" "os" "iOS" "os-version" "16.1")')
        self.assertIn(b" OK", tag)
        tag, u = raw(m, "NAMESPACE")
        self.assertIn(b" OK", tag)
        tag, u = raw(m, 'XLIST "" "*"')        # absent: a clear BAD, the session goes on
        self.assertIn(b" BAD", tag)
        tag, u = raw(m, 'LIST "" "*"')
        self.assertIn(b" OK", tag)
        self.assertTrue(any(re.match(rb'\* LIST \([^)]*\\Trash[^)]*\) "\." "?Trash"?\r\n$', r) for r in u), u)
        tag, u = raw(m, "SELECT INBOX")
        self.assertIn(b"* 1 EXISTS\r\n", u)
        tag, u = raw(m, "UID FETCH 1:* (FLAGS)")
        uid = uid_of(u[0])
        tag, u = raw(m, "UID FETCH %d (RFC822.SIZE BODY.PEEK[]<0.100>)" % uid)
        size = int(re.search(rb"RFC822.SIZE (\d+)", u[0]).group(1))
        part = re.search(rb"BODY\[\]<0> \{(\d+)\}\r\n", u[0])
        self.assertEqual(int(part.group(1)), 100)
        tag, w = raw(m, "UID FETCH %d (BODY.PEEK[])" % uid)
        mo = re.search(rb"BODY\[\] \{(\d+)\}\r\n", w[0])
        whole = w[0][mo.end():mo.end() + int(mo.group(1))]
        self.assertEqual(len(whole), size)
        body = u[0][part.end():part.end() + 100]
        self.assertEqual(body, whole[:100])
        tag, u = raw(m, "UID FETCH %d (BODY.PEEK[]<100.100000>)" % uid)
        self.assertIn(b"BODY[]<100> {%d}" % (size - 100), u[0])
        self.assertTrue(u[0].rstrip(b")\r\n").endswith(whole[100:].rstrip(b"\r\n")))
        m.logout()
        if "QRESYNC" not in c:
            return
        # iOS comes back after the user worked on another device: QRESYNC
        m = tls_session(self.inst, addr, pw)
        raw(m, "ENABLE QRESYNC")
        tag, u = raw(m, "SELECT INBOX")
        validity = int(re.search(rb"UIDVALIDITY (\d+)", b"".join(u)).group(1))
        highest = int(re.search(rb"HIGHESTMODSEQ (\d+)", b"".join(u)).group(1))
        m.logout()
        deliver(self.inst, addr, (PLAIN % (addr, "ios two", "i2", "two")).encode())
        deliver(self.inst, addr, (PLAIN % (addr, "ios three", "i3", "three")).encode())
        wait_count(self.inst, addr, 3)
        other = starttls_session(self.inst, addr, pw)
        other.select("INBOX")
        tag, u = raw(other, "UID FETCH 1:* (FLAGS)")
        later = sorted(uid_of(r) for r in u)
        raw(other, "UID STORE %d +FLAGS (\\Deleted)" % uid)
        raw(other, "EXPUNGE")
        raw(other, "UID STORE %d +FLAGS (\\Flagged)" % later[1])
        other.logout()
        m = tls_session(self.inst, addr, pw)
        raw(m, "ENABLE QRESYNC")
        tag, u = raw(m, "SELECT INBOX (QRESYNC (%d %d))" % (validity, highest))
        self.assertIn(b" OK", tag)
        joined = b"".join(u)
        self.assertRegex(joined, rb"\* VANISHED \(EARLIER\) %d\r\n" % uid)
        changed = {uid_of(r): r for r in u if b" FETCH (" in r}
        self.assertEqual(set(changed), set(later[1:]))       # the two new ones, one flagged
        self.assertIn(b"\\Flagged", changed[later[1]])
        self.assertNotIn(b"\\Flagged", changed[later[2]])
        m.logout()

    def test_android_k9(self):
        addr, pw = new_account(self.inst)
        big = "line of a long message body\n" * 1500          # about 42 KB
        deliver(self.inst, addr, (PLAIN % (addr, "k9 long", "k1", big)).encode())
        deliver(self.inst, addr, (PLAIN % (addr, "k9 short", "k2", "short")).encode())
        wait_count(self.inst, addr, 2)
        m = tls_session(self.inst)
        self.assertIn("AUTH=PLAIN", caps(m))
        import base64
        ir = base64.b64encode(b"\0" + addr.encode() + b"\0" + pw.encode()).decode()
        tag, u = raw(m, "AUTHENTICATE PLAIN " + ir)       # SASL-IR: one round trip
        self.assertIn(b" OK", tag)
        m.state = "AUTH"
        tag, u = raw(m, "NAMESPACE")
        tag, u = raw(m, 'LIST "" "*"')
        self.assertEqual(len(u), 6)
        tag, u = raw(m, "SELECT INBOX")
        self.assertIn(b"* 2 EXISTS\r\n", u)
        tag, u = raw(m, "UID SEARCH 1:* NOT DELETED")
        uids = [int(x) for x in u[0].split()[2:]]
        self.assertEqual(len(uids), 2)
        tag, u = raw(m, "UID FETCH %s (UID INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (date subject from "
                        "content-type to cc reply-to message-id references in-reply-to X-K9mail-Identity)])"
                     % ",".join(map(str, uids)))
        self.assertEqual(len(u), 2)
        self.assertIn(b"Subject: k9 long\r\n", u[0])
        size = int(re.search(rb"RFC822.SIZE (\d+)", u[0]).group(1))
        self.assertGreater(size, 40000)
        tag, u = raw(m, "UID FETCH %d (UID RFC822.SIZE BODY.PEEK[]<0.25600>)" % uids[0])
        self.assertIn(b"BODY[]<0> {25600}\r\n", u[0])
        tag, u = raw(m, "UID FETCH %d (FLAGS)" % uids[0])
        self.assertNotIn(b"\\Seen", flags_of(u[0]))      # a partial preview does not mark it read
        tag, u = raw(m, "UID STORE %d +FLAGS.SILENT (\\Seen)" % uids[0])
        self.assertIn(b" OK", tag)
        tag, u = raw(m, "UID STORE %d +FLAGS.SILENT (\\Deleted)" % uids[1])
        other = starttls_session(self.inst, addr, pw)     # deleted elsewhere, not expunged there
        other.select("INBOX")
        raw(other, "UID STORE %d +FLAGS.SILENT (\\Deleted)" % uids[0])
        other.logout()
        tag, u = raw(m, "UID EXPUNGE %d" % uids[1])     # UIDPLUS: only what this client deleted
        self.assertIn(b" OK", tag)
        self.assertIn(b"* 2 EXPUNGE\r\n", u)
        tag, u = raw(m, "NOOP")                          # and hears of the other device's delete
        self.assertTrue(any(r.startswith(b"* 1 FETCH") and b"\\Deleted" in r for r in u), u)
        tag, u = raw(m, "UID SEARCH 1:* DELETED")
        self.assertEqual(u[0].split()[2:], [b"%d" % uids[0]])
        m.logout()

    def test_outlook(self):
        addr, pw = self.account_with_mail(["outlook one", "outlook two"])
        m = starttls_session(self.inst)
        self.assertIn("AUTH=PLAIN", caps(m))
        tag, u = raw(m, 'LOGIN "%s" "%s"' % (addr, pw))   # Outlook: LOGIN, no SASL-IR
        self.assertIn(b" OK", tag)
        m.state = "AUTH"
        tag, u = raw(m, 'LIST "" "*"')
        self.assertEqual(len(u), 6)
        tag, u = raw(m, 'STATUS "INBOX" (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)')
        self.assertRegex(u[0], rb"MESSAGES 2 UNSEEN 2 UIDNEXT \d+ UIDVALIDITY \d+")
        tag, u = raw(m, "SELECT INBOX")
        tag, u = raw(m, "UID FETCH 1:* (UID RFC822.SIZE FLAGS INTERNALDATE)")
        self.assertEqual(len(u), 2)
        home = self.inst.home(addr.split("@")[1], addr.split("@")[0])
        sizes = sorted(int(re.search(rb"RFC822.SIZE (\d+)", r).group(1)) for r in u)
        files = self.inst.maildir_files(addr.split("@")[1], addr.split("@")[0])
        want = []
        for f in files:
            with open(f, "rb") as fh:
                data = fh.read()
            want.append(len(data) + data.count(b"\n") - data.count(b"\r\n"))
        self.assertEqual(sizes, sorted(want))
        self.assertTrue(os.path.isdir(home))
        for r in u:
            self.assertRegex(r, rb'INTERNALDATE "\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d [+-]\d{4}"')
        tag, u = raw(m, "UID FETCH %d (BODY.PEEK[])" % uid_of(u[0]))
        self.assertIn(b"Subject: outlook", u[0])
        # a message saved with its date (an import from another account): the date stays
        tag, u = raw(m, 'APPEND INBOX (\\Seen) "05-Mar-2020 09:08:07 +0100" {22}\r\nSubject: old\r\n\r\nold\r\n'
                     .replace("{22}\r\n", "{22+}\r\n"))
        self.assertIn(b"APPENDUID", tag)
        new_uid = int(re.search(rb"APPENDUID \d+ (\d+)", tag).group(1))
        tag, u = raw(m, "UID FETCH %d (INTERNALDATE FLAGS)" % new_uid)
        self.assertEqual(time.mktime(imaplib.Internaldate2tuple(u[-1])),
                         time.mktime(imaplib.Internaldate2tuple(b'INTERNALDATE "05-Mar-2020 09:08:07 +0100"')))
        tag, u = raw(m, "UID SEARCH BEFORE 1-Jan-2021")
        self.assertEqual(u[0].split()[2:], [b"%d" % new_uid])
        tag, u = raw(m, "LOGOUT")
        self.assertIn(b" OK", tag)

    def test_desktop_and_phone_at_once(self):
        """A desktop client idles on INBOX while a phone reads, flags and
        deletes; then mail arrives: the desktop is told of each change."""
        addr, pw = self.account_with_mail(["both one", "both two", "both three"])
        desk = starttls_session(self.inst, addr, pw)
        phone = tls_session(self.inst, addr, pw)
        raw(desk, "SELECT INBOX")
        raw(phone, "SELECT INBOX")
        cs = None
        if "CONDSTORE" in caps(desk):        # a third client, with CONDSTORE on
            cs = tls_session(self.inst, addr, pw)
            raw(cs, "SELECT INBOX (CONDSTORE)")
        tag, u = raw(phone, "UID FETCH 1:* (FLAGS)")
        uids = [uid_of(r) for r in u]
        tag, u = raw(phone, "UID STORE %d +FLAGS (\\Seen \\Flagged)" % uids[0])
        self.assertIn(b" OK", tag)
        tag, u = raw(desk, "NOOP")
        self.assertEqual(len(u), 1, u)
        self.assertRegex(u[0], rb"^\* 1 FETCH \(")
        self.assertEqual(sorted(flags_of(u[0])), [b"\\Flagged", b"\\Recent", b"\\Seen"])
        self.assertIn(b"UID %d" % uids[0], u[0])
        if cs:
            tag, u = raw(cs, "NOOP")             # told once, with its MODSEQ
            self.assertEqual(len([r for r in u if b"FETCH" in r]), 1, u)
            self.assertRegex(u[0], rb"^\* 1 FETCH \(.*MODSEQ \(\d+\)")
            cs.logout()
        itag = desk._new_tag()
        desk.send(itag + b" IDLE\r\n")
        self.assertTrue(desk.readline().startswith(b"+"))

        def until(pred):
            deadline, got = time.time() + 30, []
            while not pred(got):
                self.assertLess(time.time(), deadline, got)
                got.append(desk.readline())
            return got

        raw(phone, "UID STORE %d +FLAGS (\\Deleted)" % uids[1])
        got = until(lambda g: any(b"FETCH" in x for x in g))
        self.assertIn(b"\\Deleted", got[-1])
        self.assertTrue(got[-1].startswith(b"* 2 FETCH"))
        raw(phone, "EXPUNGE")
        got = until(lambda g: b"* 2 EXPUNGE\r\n" in g)
        deliver(self.inst, addr, (PLAIN % (addr, "both four", "m4", "four")).encode())
        got = until(lambda g: b"* 3 EXISTS\r\n" in g)
        desk.send(b"DONE\r\n")
        got = until(lambda g: g and g[-1].startswith(itag))
        self.assertIn(b"OK", got[-1])
        tag, u = raw(desk, "FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        subjects = [re.search(rb"Subject: (.*)\r\n", r).group(1) for r in u]
        self.assertEqual(subjects, [b"both one", b"both three", b"both four"])
        phone.logout()
        desk.logout()

    def test_non_ascii_folders(self):
        """A folder named in Japanese and one in German, made by one client,
        listed, filled and selected by another (modified UTF-7 on the wire)."""
        addr, pw = new_account(self.inst)
        m = starttls_session(self.inst, addr, pw)
        for wire in ("&ZeVnLIqe-", "Entw&APw-rfe", "Entw&APw-rfe.&ZeVnLIqe-"):
            tag, u = raw(m, 'CREATE "%s"' % wire)
            self.assertIn(b" OK", tag)
        for bad in ("&ZeVnLIqe", "caf\u00e9", "&AGE-", "a&-b&Jjo"):   # not canonical modified UTF-7
            tag, u = raw(m, 'CREATE "%s"' % bad)
            self.assertRegex(tag, rb"^\S+ (NO|BAD) ", bad)
        m.logout()
        m = tls_session(self.inst, addr, pw)
        tag, u = raw(m, 'LIST "" "*"')
        names = [re.search(rb'"\." "?([^"\r\n]*)"?\r\n$', r).group(1) for r in u]
        self.assertIn(b"&ZeVnLIqe-", names)
        self.assertIn(b"Entw&APw-rfe.&ZeVnLIqe-", names)
        self.assertTrue(any(r.startswith(b"* LIST (\\HasChildren") and b"Entw&APw-rfe\"" in r for r in u), u)
        typ, data = m.append('"&ZeVnLIqe-"', None, None, b"Subject: nihongo\r\n\r\nx\r\n")
        self.assertEqual(typ, "OK")
        tag, u = raw(m, 'STATUS "&ZeVnLIqe-" (MESSAGES)')
        self.assertIn(b"MESSAGES 1", u[0])
        tag, u = raw(m, 'SELECT "&ZeVnLIqe-"')
        self.assertIn(b"* 1 EXISTS\r\n", u)
        m.logout()
        local, dom = addr.split("@")
        self.assertTrue(os.path.isdir(os.path.join(self.inst.home(dom, local), "Maildir", ".Entw&APw-rfe.&ZeVnLIqe-")))

    def test_two_clients_append_while_mail_arrives(self):
        """A desktop and a phone each save 30 drafts to the same folder while
        mail is delivered to INBOX and a third session moves it there: every
        message gets its own UID, and both clients agree on the folder."""
        import threading
        addr, pw = new_account(self.inst)
        errors = []

        def saver(which):
            try:
                m = (starttls_session if which == "desk" else tls_session)(self.inst, addr, pw)
                for i in range(30):
                    typ, data = m.append("Drafts", "(\\Draft)", None,
                                         b"Subject: %s draft %d\r\n\r\nx\r\n" % (which.encode(), i))
                    if typ != "OK":
                        errors.append((which, i, data))
                m.logout()
            except Exception as e:      # reported below
                errors.append((which, repr(e)))

        def mover():
            try:
                m = tls_session(self.inst, addr, pw)
                m.select("INBOX")
                deadline = time.time() + 60
                moved = 0
                while moved < 10 and time.time() < deadline:
                    tag, u = raw(m, "UID MOVE 1:* Drafts")
                    moved += sum(1 for r in u if r.endswith(b"EXPUNGE\r\n"))
                    raw(m, "NOOP")
                m.logout()
            except Exception as e:
                errors.append(("mover", repr(e)))

        threads = [threading.Thread(target=saver, args=(w,)) for w in ("desk", "phone")]
        threads.append(threading.Thread(target=mover))
        for t in threads:
            t.start()
        for i in range(10):
            deliver(self.inst, addr, (PLAIN % (addr, "arrived %d" % i, "a%d" % i, "x")).encode())
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        views = []
        for session in (starttls_session, tls_session):
            m = session(self.inst, addr, pw)
            m.select("Drafts", readonly=True)
            tag, u = raw(m, "UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            views.append(sorted((uid_of(r), re.search(rb"Subject: (.*)\r\n", r).group(1)) for r in u))
            m.logout()
        self.assertEqual(views[0], views[1])
        uids = [x[0] for x in views[0]]
        self.assertEqual(len(uids), len(set(uids)))
        subjects = sorted(x[1] for x in views[0])
        self.assertEqual(len(subjects), 70, subjects)
        self.assertEqual(len(set(subjects)), 70)

    def test_fetchmail_keep_then_flush(self):
        if not shutil.which("fetchmail"):
            self.skipTest("fetchmail not installed")
        addr, pw = self.account_with_mail(["fm one", "fm two"])
        work = tempfile.mkdtemp(prefix="fetchmail-", dir=self.inst.dir)
        out = os.path.join(work, "out")
        os.mkdir(out)
        mda = os.path.join(work, "mda.sh")
        with open(mda, "w") as f:
            f.write('#!/bin/sh\nexec cat > "$(mktemp -p %s msg.XXXXXX)"\n' % out)
        os.chmod(mda, 0o755)

        def run(*opts, imaps=False):
            rc = os.path.join(work, "fetchmailrc")
            with open(rc, "w") as f:
                f.write('set no syslog\npoll 127.0.0.1 service %d protocol IMAP auth password\n'
                        '  user "%s" password "%s"\n  %s sslproto "TLS1.2+" no sslcertck\n'
                        '  mda "%s"\n  %s\n' % (imaps_port(self.inst) if imaps else imap_port(self.inst),
                                                addr, pw, "ssl" if imaps else "", mda, " ".join(opts)))
            os.chmod(rc, 0o600)
            env = dict(os.environ, HOME=work, FETCHMAILHOME=work)
            p = subprocess.run(["fetchmail", "-f", rc, "--nosyslog", "-v"], env=env,
                               capture_output=True, text=True, timeout=120)
            self.assertIn(p.returncode, (0, 1), p.stdout + p.stderr)   # 1: no new mail
            return p

        def fetched():
            got = []
            for n in sorted(os.listdir(out)):
                with open(os.path.join(out, n), "rb") as fh:
                    got.append(email.message_from_bytes(fh.read(), policy=email.policy.default)["Subject"])
            return sorted(got)

        p = run("keep")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("IMAP> A0001 STARTTLS", p.stdout + p.stderr)
        self.assertIn("SSL/TLS: using protocol", p.stdout + p.stderr)
        self.assertEqual(fetched(), ["fm one", "fm two"])
        m = starttls_session(self.inst, addr, pw)
        m.select("INBOX", readonly=True)
        typ, data = m.search(None, "SEEN")
        self.assertEqual(len(data[0].split()), 2)    # kept, and marked read
        m.logout()
        p = run("keep", imaps=True)                  # nothing new (over imaps): nothing fetched
        self.assertIn("SSL/TLS: using protocol", p.stdout + p.stderr)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertEqual(len(os.listdir(out)), 2)
        deliver(self.inst, addr, (PLAIN % (addr, "fm three", "m3", "three")).encode())
        wait_count(self.inst, addr, 3)
        p = run("nokeep", "flush")                   # the new one fetched, all removed
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(fetched(), ["fm one", "fm three", "fm two"])
        m = tls_session(self.inst, addr, pw)
        typ, data = m.status("INBOX", "(MESSAGES)")
        self.assertIn(b"MESSAGES 0", data[0])
        m.logout()


if __name__ == "__main__":
    unittest.main()
