"""CONDSTORE and QRESYNC (RFC 7162) in yubin-imapd: mod-sequences in SELECT,
STATUS, FETCH and SEARCH, conditional STORE, quick resynchronisation of a
client after another session changed flags, expunged and got new mail, VANISHED
instead of EXPUNGE, and HIGHESTMODSEQ that never goes down when the state file
is deleted or damaged.  Sessions are real yubin-imapd processes on a real
Maildir (pre-authenticated, over pipes), plus one login through the services
and an mbsync run."""
import imaplib, os, re, shutil, subprocess, tempfile, time, unittest

from yubintest import BUILD

IMAPD = os.path.join(BUILD, "yubin-imapd")


def msg(n):
    return (b"From: a@example.org\nTo: b@example.com\nSubject: message %d\n"
            b"Message-ID: <m%d@example.org>\n\nbody %d\n" % (n, n, n))


class Raw:
    """One pre-authenticated session; cmd() returns (tagged line, untagged lines)."""

    def __init__(self, maildir, log=None):
        env = dict(os.environ, MAILDIR=maildir)
        self.p = subprocess.Popen([IMAPD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=log or subprocess.DEVNULL, env=env)
        self.greeting = self.p.stdout.readline()
        self.n = 0

    def cmd(self, text):
        self.n += 1
        tag = b"t%d" % self.n
        self.p.stdin.write(tag + b" " + text.encode() + b"\r\n")
        self.p.stdin.flush()
        untagged = []
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise EOFError("session ended during %r" % text)
            line = line.rstrip(b"\r\n").decode()
            if line.startswith(tag.decode() + " "):
                return line[len(tag) + 1:], untagged
            untagged.append(line)

    def ok(self, text):
        tagged, untagged = self.cmd(text)
        if not tagged.startswith("OK"):
            raise AssertionError("%s -> %s %r" % (text, tagged, untagged))
        return untagged

    def close(self):
        try:
            self.cmd("LOGOUT")
        except (EOFError, BrokenPipeError):
            pass
        self.p.wait(timeout=10)


def highest(lines):
    for l in lines:
        m = re.search(r"\[HIGHESTMODSEQ (\d+)\]", l)
        if m:
            return int(m.group(1))
    return None


def fetches(lines):
    """{uid: (flags, modseq)} from untagged FETCH responses."""
    out = {}
    for l in lines:
        m = re.match(r"\* \d+ FETCH \((.*)\)$", l)
        if not m:
            continue
        body = m.group(1)
        uid = re.search(r"UID (\d+)", body)
        flags = re.search(r"FLAGS \(([^)]*)\)", body)
        ms = re.search(r"MODSEQ \((\d+)\)", body)
        out[int(uid.group(1)) if uid else None] = (
            set(flags.group(1).split()) - {"\\Recent"} if flags else None, int(ms.group(1)) if ms else None)
    return out


def vanished(lines, earlier):
    out = set()
    for l in lines:
        m = re.match(r"\* VANISHED (\(EARLIER\) )?(\S+)$", l)
        if m and bool(m.group(1)) == earlier:
            for part in m.group(2).split(","):
                a, _, b = part.partition(":")
                out.update(range(int(a), int(b or a) + 1))
    return out


@unittest.skipUnless(os.path.exists(IMAPD), "yubin-imapd not built")
class Condstore(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="yubin-condstore-")
        self.md = os.path.join(self.dir, "Maildir")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(self.md, sub))
        self.count = 0
        self.sessions = []

    def tearDown(self):
        for s in self.sessions:
            try:
                s.p.kill()
                s.p.wait()
            except Exception:
                pass
        if getattr(self, "logf", None):
            self.logf.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def deliver(self, k=1):
        for _ in range(k):
            self.count += 1
            name = "%d.M%dP1Q%d.test" % (1700000000 + self.count, self.count, self.count)
            with open(os.path.join(self.md, "tmp", name), "wb") as f:
                f.write(msg(self.count))
            os.rename(os.path.join(self.md, "tmp", name), os.path.join(self.md, "new", name))

    def session(self):
        self.logf = getattr(self, "logf", None) or open(os.path.join(self.dir, "imapd.log"), "ab")
        s = Raw(self.md, self.logf)
        self.sessions.append(s)
        return s

    def state_file(self):
        return os.path.join(self.md, "yubin-imap.modseq")

    def test_capability_enable_select_status(self):
        self.deliver(3)
        s = self.session()
        caps = s.ok("CAPABILITY")[0]
        self.assertIn(" CONDSTORE", caps)
        self.assertIn(" QRESYNC", caps)
        self.assertEqual(s.ok("ENABLE CONDSTORE"), ["* ENABLED CONDSTORE"])
        self.assertEqual(s.ok("ENABLE CONDSTORE"), ["* ENABLED"])   # already on: not listed again
        sel = s.ok("SELECT INBOX")
        h = highest(sel)
        self.assertIsNotNone(h)
        self.assertGreater(h, 0)
        st = s.ok("STATUS INBOX (HIGHESTMODSEQ MESSAGES)")
        self.assertEqual(st, ['* STATUS "INBOX" (HIGHESTMODSEQ %d MESSAGES 3)' % h])
        # every message has a mod-sequence, none above HIGHESTMODSEQ
        f = fetches(s.ok("UID FETCH 1:* (FLAGS MODSEQ)"))
        self.assertEqual(sorted(f), [1, 2, 3])
        self.assertTrue(all(0 < ms <= h for _, ms in f.values()))
        # EXAMINE too; a read-only STORE changes nothing
        tagged, ex = s.cmd("EXAMINE INBOX")
        self.assertTrue(tagged.startswith("OK [READ-ONLY]"))
        self.assertEqual(highest(ex), h)
        self.assertTrue(s.cmd("STORE 1 (UNCHANGEDSINCE %d) +FLAGS (\\Seen)" % h)[0].startswith("NO [READ-ONLY]"))
        self.assertEqual(highest(s.ok("EXAMINE INBOX")), h)
        s.close()

    def test_select_condstore_and_store(self):
        self.deliver(3)
        s = self.session()
        sel = s.ok("SELECT INBOX (CONDSTORE)")
        h0 = highest(sel)
        self.assertIsNotNone(h0)
        # STORE reports the new mod-sequence, which is now the highest
        f = fetches(s.ok("UID STORE 2 +FLAGS (\\Seen)"))
        self.assertEqual(f[2][0], {"\\Seen"})
        h1 = f[2][1]
        self.assertGreater(h1, h0)
        self.assertEqual(s.ok("STATUS INBOX (HIGHESTMODSEQ)"), ['* STATUS "INBOX" (HIGHESTMODSEQ %d)' % h1])
        # .SILENT still tells the new MODSEQ once CONDSTORE is on
        lines = s.ok("STORE 3 +FLAGS.SILENT (\\Flagged)")
        self.assertEqual(len(lines), 1)
        self.assertRegex(lines[0], r"^\* 3 FETCH \(UID 3 MODSEQ \(\d+\)\)$")
        h2 = int(re.search(r"(\d+)\)\)$", lines[0]).group(1))
        self.assertGreater(h2, h1)
        # a STORE that changes nothing keeps the mod-sequence
        f = fetches(s.ok("UID STORE 2 +FLAGS (\\Seen)"))
        self.assertEqual(f[2][1], h1)
        # CHANGEDSINCE: only what changed after h1
        f = fetches(s.ok("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % h1))
        self.assertEqual(list(f), [3])
        self.assertEqual(f[3], ({"\\Flagged"}, h2))
        f = fetches(s.ok("FETCH 1:* (UID) (CHANGEDSINCE %d)" % h0))
        self.assertEqual(sorted(f), [2, 3])
        # SEARCH MODSEQ, with the highest mod-sequence of what matched
        self.assertEqual(s.ok("UID SEARCH MODSEQ %d" % (h1 + 1)), ["* SEARCH 3 (MODSEQ %d)" % h2])
        self.assertEqual(s.ok('SEARCH MODSEQ "/flags/\\\\seen" all %d' % h1), ["* SEARCH 2 3 (MODSEQ %d)" % h2])
        self.assertEqual(s.ok("SEARCH MODSEQ %d" % (h2 + 1)), ["* SEARCH"])
        # SORT too (RFC 7162 3.1.5), and ESORT as MODSEQ n
        self.assertEqual(s.ok("UID SORT (ARRIVAL) UTF-8 MODSEQ %d" % h1), ["* SORT 2 3 (MODSEQ %d)" % h2])
        self.assertRegex(s.ok("UID SORT RETURN (ALL) (ARRIVAL) UTF-8 MODSEQ %d" % h1)[0],
                         r'^\* ESEARCH \(TAG "t\d+"\) UID ALL 2:3 MODSEQ %d$' % h2)
        # ESEARCH (RFC 4731) carries it as MODSEQ n
        lines = s.ok("UID SEARCH RETURN (ALL COUNT) MODSEQ %d" % h1)
        self.assertEqual(len(lines), 1)
        self.assertRegex(lines[0], r'^\* ESEARCH \(TAG "t\d+"\) UID ALL 2:3 COUNT 2 MODSEQ %d$' % h2)
        # a FETCH that sets \Seen: its response has UID and MODSEQ, and the
        # new mod-sequence follows before the tagged OK
        lines = s.ok("FETCH 1 (BODY[TEXT])")
        self.assertEqual(lines[0], "* 1 FETCH (BODY[TEXT] {8}")
        self.assertRegex(lines[2], r"^ FLAGS \(\\Seen( \\Recent)?\) UID 1 MODSEQ \(%d\)\)$" % h0)
        f = fetches(lines[3:])
        self.assertEqual(f[1][0], {"\\Seen"})
        h3 = f[1][1]
        self.assertGreater(h3, h2)
        self.assertEqual(s.ok("STATUS INBOX (HIGHESTMODSEQ)"), ['* STATUS "INBOX" (HIGHESTMODSEQ %d)' % h3])
        s.close()

    def test_unchangedsince(self):
        self.deliver(3)
        a, b = self.session(), self.session()
        h0 = highest(a.ok("SELECT INBOX (CONDSTORE)"))
        b.ok("SELECT INBOX")   # b never enables CONDSTORE
        b.ok("STORE 1 +FLAGS (\\Answered)")
        a.ok("NOOP")
        # message 1 changed after h0: not stored, reported as MODIFIED
        tagged, lines = a.cmd("STORE 1:3 (UNCHANGEDSINCE %d) +FLAGS (\\Deleted)" % h0)
        self.assertEqual(tagged.split("]")[0], "OK [MODIFIED 1")
        f = fetches(lines)
        self.assertEqual(sorted(f), [2, 3])   # UID and MODSEQ even for a plain STORE (RFC 7162 3.1)
        self.assertTrue(all(ms > h0 for _, ms in f.values()))
        changed = [l for l in lines if "FETCH" in l]
        self.assertEqual([l.split()[1] for l in changed], ["2", "3"])
        self.assertTrue(all("\\Deleted" in l for l in changed))
        flags = fetches(a.ok("UID FETCH 1 (FLAGS)"))[1][0]
        self.assertEqual(flags, {"\\Answered"})
        # UNCHANGEDSINCE 0 always fails; UID STORE reports UIDs
        tagged, lines = a.cmd("UID STORE 1:2 (UNCHANGEDSINCE 0) +FLAGS (\\Seen)")
        self.assertTrue(tagged.startswith("OK [MODIFIED 1:2]"), tagged)
        # bad syntax
        self.assertTrue(a.cmd("STORE 1 (UNCHANGEDSINCE x) +FLAGS (\\Seen)")[0].startswith("BAD"))
        self.assertTrue(a.cmd("STORE 1 (SOMETHING 1) +FLAGS (\\Seen)")[0].startswith("BAD"))
        a.close()
        b.close()

    def test_two_condstore_sessions_take_turns(self):
        """Two CONDSTORE sessions changing flags in turn: every change gets a
        new, higher mod-sequence, and each session hears of the other's
        changes at NOOP with their MODSEQ."""
        self.deliver(4)
        a, b = self.session(), self.session()
        a.ok("ENABLE CONDSTORE")
        b.ok("ENABLE CONDSTORE")
        h = highest(a.ok("SELECT INBOX"))
        self.assertEqual(highest(b.ok("SELECT INBOX")), h)
        seen = []
        for k in range(6):
            s, other = (a, b) if k % 2 == 0 else (b, a)
            uid = k % 4 + 1
            f = fetches(s.ok("UID STORE %d %sFLAGS (\\Flagged)" % (uid, "+" if k < 4 else "-")))
            seen.append(f[uid][1])
            told = fetches(other.ok("NOOP"))
            self.assertEqual(told[uid], f[uid])   # same flags, same MODSEQ
        self.assertEqual(seen, sorted(set(seen)))
        self.assertGreater(seen[0], h)
        self.assertEqual(a.ok("STATUS INBOX (HIGHESTMODSEQ)"), ['* STATUS "INBOX" (HIGHESTMODSEQ %d)' % seen[-1]])
        a.close()
        b.close()

    def test_two_sessions_quick_resync(self):
        """A client that knows the folder at modseq M comes back after another
        session changed flags, expunged and got new mail: QRESYNC tells it
        exactly what changed."""
        self.deliver(6)
        c = self.session()
        c.ok("ENABLE QRESYNC")
        sel = c.ok("SELECT INBOX")
        m = highest(sel)
        validity = int(re.search(r"UIDVALIDITY (\d+)", " ".join(sel)).group(1))
        c.close()

        other = self.session()   # a plain client: no CONDSTORE at all
        other.ok("SELECT INBOX")
        other.ok("UID STORE 2 +FLAGS (\\Seen)")
        other.ok("UID STORE 4,5 +FLAGS (\\Deleted)")
        other.ok("EXPUNGE")
        other.close()
        self.deliver(1)          # UID 7

        c = self.session()
        c.ok("ENABLE QRESYNC")
        lines = c.ok("SELECT INBOX (QRESYNC (%d %d))" % (validity, m))
        self.assertGreater(highest(lines), m)
        self.assertEqual(vanished(lines, earlier=True), {4, 5})
        f = fetches(lines)
        self.assertEqual(sorted(f), [2, 7])
        self.assertEqual(f[2][0], {"\\Seen"})
        self.assertEqual(f[7][0], set())
        # the same through UID FETCH (CHANGEDSINCE m VANISHED), limited to 1:5
        lines = c.ok("UID FETCH 1:5 (FLAGS) (CHANGEDSINCE %d VANISHED)" % m)
        self.assertEqual(vanished(lines, earlier=True), {4, 5})
        self.assertEqual(sorted(fetches(lines)), [2])
        # known-uids limits both
        lines = c.ok("SELECT INBOX (QRESYNC (%d %d 1:3))" % (validity, m))
        self.assertIn("* OK [CLOSED] previous mailbox closed", lines)
        self.assertEqual(vanished(lines, earlier=True), set())
        self.assertEqual(sorted(fetches(lines)), [2])
        # with seq-match-data too
        lines = c.ok("SELECT INBOX (QRESYNC (%d %d 1:7 (1:3 1:3)))" % (validity, m))
        self.assertEqual(vanished(lines, earlier=True), {4, 5})
        # another UIDVALIDITY: a plain SELECT, nothing more
        lines = c.ok("SELECT INBOX (QRESYNC (%d %d))" % (validity + 1, m))
        self.assertEqual(vanished(lines, earlier=True), set())
        self.assertEqual(fetches(lines), {})
        # up to date: nothing to tell
        h = highest(lines)
        lines = c.ok("SELECT INBOX (QRESYNC (%d %d))" % (validity, h))
        self.assertEqual([l for l in lines if "VANISHED" in l or "FETCH" in l], [])
        c.close()

    def test_vanished_instead_of_expunge(self):
        self.deliver(6)
        q, plain = self.session(), self.session()
        q.ok("ENABLE QRESYNC")
        q.ok("SELECT INBOX")
        plain.ok("SELECT INBOX")
        # EXPUNGE in the QRESYNC session
        q.ok("UID STORE 2,3 +FLAGS.SILENT (\\Deleted)")
        tagged, lines = q.cmd("EXPUNGE")
        self.assertEqual([l for l in lines if "EXPUNGE" in l], [])
        self.assertIn("* VANISHED 2:3", lines)
        # the tagged OK carries the new HIGHESTMODSEQ (RFC 7162 3.2.10)
        h = int(re.match(r"OK \[HIGHESTMODSEQ (\d+)\] ", tagged).group(1))
        self.assertEqual(q.ok("STATUS INBOX (HIGHESTMODSEQ)"), ['* STATUS "INBOX" (HIGHESTMODSEQ %d)' % h])
        # the plain session still sees EXPUNGE responses, highest first
        self.assertEqual([l for l in plain.ok("NOOP") if "EXPUNGE" in l], ["* 3 EXPUNGE", "* 2 EXPUNGE"])
        # the other way round, with a flag change: VANISHED and FETCH ... MODSEQ
        plain.ok("STORE 1 +FLAGS (\\Flagged)")
        plain.ok("UID STORE 6 +FLAGS (\\Deleted)")
        plain.ok("EXPUNGE")
        lines = q.ok("NOOP")
        self.assertIn("* VANISHED 6", lines)
        f = fetches(lines)
        self.assertEqual(list(f), [1])
        self.assertEqual(f[1][0], {"\\Flagged"})
        self.assertIsNotNone(f[1][1])
        # UID EXPUNGE removes only the given \Deleted messages
        q.ok("UID STORE 4,5 +FLAGS.SILENT (\\Deleted)")
        self.assertEqual([l for l in q.ok("UID EXPUNGE 5") if "VANISHED" in l], ["* VANISHED 5"])
        self.assertEqual(sorted(fetches(q.ok("UID FETCH 1:* (UID)"))), [1, 4])
        # MOVE
        q.ok("CREATE Dest")
        lines = q.ok("UID MOVE 1 Dest")
        self.assertIn("* VANISHED 1", lines)
        self.assertEqual([l for l in lines if "EXPUNGE" in l], [])
        q.close()
        plain.close()

    def test_highestmodseq_never_ahead_of_what_the_client_saw(self):
        """RFC 7162 3.2: a session that has not yet reported another session's
        expunge must not hand out a HIGHESTMODSEQ that covers it; a client
        that reconnects with that value still learns of the expunge."""
        self.deliver(3)
        a, b = self.session(), self.session()
        a.ok("ENABLE QRESYNC")
        sel = a.ok("SELECT INBOX")
        validity = int(re.search(r"UIDVALIDITY (\d+)", " ".join(sel)).group(1))
        b.ok("ENABLE CONDSTORE")
        b.ok("SELECT INBOX")
        b.ok("UID STORE 2 +FLAGS.SILENT (\\Deleted)")
        tagged, _ = b.cmd("EXPUNGE")
        gone_at = int(re.match(r"OK \[HIGHESTMODSEQ (\d+)\]", tagged).group(1))
        # a has not looked (no NOOP): its STORE shows a MODSEQ above the
        # expunge, and a lower HIGHESTMODSEQ with it
        lines = a.ok("UID STORE 1 +FLAGS (\\Seen)")
        self.assertGreater(fetches(lines)[1][1], gone_at)
        self.assertLess(highest(lines), gone_at)
        # UID EXPUNGE of nothing reports no VANISHED
        tagged, lines = a.cmd("UID EXPUNGE 3")
        self.assertEqual(lines, [])
        told = int(re.match(r"OK \[HIGHESTMODSEQ (\d+)\]", tagged).group(1))
        self.assertLess(told, gone_at)
        a.p.kill()   # the connection is lost before a NOOP
        c = self.session()
        c.ok("ENABLE QRESYNC")
        lines = c.ok("SELECT INBOX (QRESYNC (%d %d))" % (validity, told))
        self.assertEqual(vanished(lines, earlier=True), {2})
        c.close()
        b.close()

    def test_idle_reports_vanished_and_modseq(self):
        self.deliver(3)
        q, other = self.session(), self.session()
        q.ok("ENABLE QRESYNC")
        h = highest(q.ok("SELECT INBOX"))
        other.ok("SELECT INBOX")
        q.p.stdin.write(b"i1 IDLE\r\n")
        q.p.stdin.flush()
        self.assertEqual(q.p.stdout.readline(), b"+ idling\r\n")
        other.ok("UID STORE 2 +FLAGS.SILENT (\\Deleted)")
        other.ok("EXPUNGE")
        line = q.p.stdout.readline()
        if b"FETCH (UID 2 FLAGS (\\Deleted" in line:   # IDLE may see the flag before the expunge
            line = q.p.stdout.readline()
        self.assertEqual(line, b"* VANISHED 2\r\n")
        other.ok("UID STORE 3 +FLAGS (\\Answered)")
        line = q.p.stdout.readline().decode()
        self.assertRegex(line, r"^\* 2 FETCH \(UID 3 FLAGS \(\\Answered( \\Recent)?\) MODSEQ \((\d+)\)\)\r\n$")
        self.assertGreater(int(re.search(r"MODSEQ \((\d+)\)", line).group(1)), h)
        q.p.stdin.write(b"DONE\r\n")
        q.p.stdin.flush()
        self.assertEqual(q.p.stdout.readline(), b"i1 OK IDLE terminated\r\n")
        q.close()
        other.close()

    def test_state_file_lost_or_damaged(self):
        self.deliver(4)
        s = self.session()
        sel = s.ok("SELECT INBOX (CONDSTORE)")
        validity = int(re.search(r"UIDVALIDITY (\d+)", " ".join(sel)).group(1))
        s.ok("UID STORE 1 +FLAGS (\\Seen)")
        s.ok("UID STORE 2 +FLAGS (\\Deleted)")
        s.ok("EXPUNGE")
        h = highest(s.ok("SELECT INBOX (CONDSTORE)"))
        s.close()
        self.assertTrue(os.path.exists(self.state_file()))

        with open(os.path.join(self.dir, "imapd.log")) as f:
            self.assertRegex(f.read(), r"modseq dir=\S+ highestmodseq=\d+ reason=new")
        os.unlink(self.state_file())
        s = self.session()
        s.ok("ENABLE QRESYNC")
        lines = s.ok("SELECT INBOX (QRESYNC (%d %d))" % (validity, h))
        h2 = highest(lines)
        self.assertGreater(h2, h)                   # never goes down
        # the history is gone: every message counts as changed, and every UID
        # the client may know that does not exist as vanished
        self.assertEqual(sorted(fetches(lines)), [1, 3, 4])
        self.assertEqual(vanished(lines, earlier=True), {2})
        s.close()

        # damaged: cut in the middle
        with open(self.state_file(), "rb") as f:
            data = f.read()
        with open(self.state_file(), "wb") as f:
            f.write(data[:len(data) // 2])
        s = self.session()
        h3 = highest(s.ok("SELECT INBOX (CONDSTORE)"))
        self.assertGreater(h3, h2)
        s.close()
        with open(os.path.join(self.dir, "imapd.log")) as f:
            self.assertIn("highestmodseq=%d reason=damaged" % h3, f.read())

        # garbage
        with open(self.state_file(), "wb") as f:
            f.write(b"\x00\xff not a state file\n" * 100)
        s = self.session()
        h4 = highest(s.ok("SELECT INBOX (CONDSTORE)"))
        self.assertGreater(h4, h3)
        f = fetches(s.ok("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % h3))
        self.assertEqual(sorted(f), [1, 3, 4])
        self.assertEqual(f[1][0], {"\\Seen"})      # flags are never lost: they live in the names
        s.close()

    def test_plain_sessions_never_touch_the_state(self):
        self.deliver(3)
        s = self.session()
        s.ok("SELECT INBOX")
        s.ok("STORE 1 +FLAGS (\\Seen)")
        s.ok("UID STORE 2 +FLAGS (\\Deleted)")
        s.ok("EXPUNGE")
        s.ok("UID FETCH 1:* (FLAGS)")
        s.ok("SEARCH ALL")
        s.close()
        self.assertFalse(os.path.exists(self.state_file()))
        # the first CONDSTORE session creates it; later plain changes are seen
        c = self.session()
        h = highest(c.ok("SELECT INBOX (CONDSTORE)"))
        c.close()
        self.assertTrue(os.path.exists(self.state_file()))
        s = self.session()
        s.ok("SELECT INBOX")
        s.ok("UID STORE 3 +FLAGS (\\Flagged)")
        s.close()
        c = self.session()
        c.ok("SELECT INBOX (CONDSTORE)")
        f = fetches(c.ok("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % h))
        self.assertEqual(list(f), [3])
        self.assertEqual(f[3][0], {"\\Flagged"})
        c.close()

    def test_keywords_and_list_status(self):
        """A keyword is metadata like a flag: STORE of one gets a new MODSEQ,
        CHANGEDSINCE finds it; LIST-STATUS gives HIGHESTMODSEQ too."""
        self.deliver(2)
        s = self.session()
        h = highest(s.ok("SELECT INBOX (CONDSTORE)"))
        f = fetches(s.ok("UID STORE 1 +FLAGS ($Label1)"))
        self.assertEqual(f[1][0], {"$Label1"})
        self.assertGreater(f[1][1], h)
        h1 = f[1][1]
        f = fetches(s.ok("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % h))
        self.assertEqual(f, {1: ({"$Label1"}, h1)})
        # the same keyword again changes nothing
        self.assertEqual(fetches(s.ok("UID STORE 1 +FLAGS ($Label1)"))[1][1], h1)
        lines = s.ok('LIST "" "INBOX" RETURN (STATUS (MESSAGES HIGHESTMODSEQ))')
        self.assertIn('* STATUS "INBOX" (MESSAGES 2 HIGHESTMODSEQ %d)' % h1, lines)
        s.close()

    def test_change_by_another_program(self):
        """A Maildir program that renames a file (here: mutt's P, passed, a
        letter IMAP has no flag for) changes the message's mod-sequence."""
        self.deliver(2)
        c = self.session()
        h = highest(c.ok("SELECT INBOX (CONDSTORE)"))
        cur = os.path.join(self.md, "cur")
        name = [n for n in os.listdir(cur) if ",U=" in n and n.endswith(".2:2,")][0]
        os.rename(os.path.join(cur, name), os.path.join(cur, name + "P"))
        c.ok("NOOP")
        f = fetches(c.ok("UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % h))
        self.assertEqual(list(f), [2])
        self.assertGreater(f[2][1], h)
        c.close()

    def test_bad_parameters(self):
        self.deliver(2)
        s = self.session()
        # QRESYNC parameter without ENABLE QRESYNC
        self.assertTrue(s.cmd("SELECT INBOX (QRESYNC (1 1))")[0].startswith("BAD"))
        self.assertTrue(s.cmd("SELECT INBOX (NOSUCH)")[0].startswith("BAD"))
        s.ok("SELECT INBOX")
        # VANISHED needs UID FETCH and QRESYNC
        self.assertTrue(s.cmd("UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)")[0].startswith("BAD"))
        s.ok("ENABLE QRESYNC")
        self.assertTrue(s.cmd("FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)")[0].startswith("BAD"))
        self.assertTrue(s.cmd("UID FETCH 1:* (FLAGS) (VANISHED)")[0].startswith("BAD"))
        self.assertTrue(s.cmd("UID FETCH 1:* (FLAGS) (CHANGEDSINCE x)")[0].startswith("BAD"))
        self.assertTrue(s.cmd("UID SEARCH MODSEQ")[0].startswith("BAD"))
        self.assertTrue(s.cmd('UID SEARCH MODSEQ "/flags/\\\\seen" nosuch 1')[0].startswith("BAD"))
        self.assertTrue(s.cmd("SELECT INBOX (QRESYNC (0 1))")[0].startswith("BAD"))
        self.assertTrue(s.cmd("SELECT INBOX (QRESYNC (1 1 1:x))")[0].startswith("BAD"))
        self.assertTrue(s.cmd("SELECT INBOX (QRESYNC (1 1 1:* (1:2)))")[0].startswith("BAD"))
        self.assertTrue(s.cmd("SELECT INBOX (QRESYNC (1 0))")[0].startswith("BAD"))
        self.assertTrue(s.cmd("ENABLE")[0].startswith("BAD"))
        # still a working session
        self.assertEqual(len(fetches(s.ok("UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)"))), 2)
        s.close()

    def test_imaplib_client(self):
        """What a Python client sees with imaplib's own command plumbing."""
        self.deliver(2)
        os.environ["MAILDIR"] = self.md
        m = imaplib.IMAP4_stream(IMAPD)
        try:
            self.assertIn("CONDSTORE", m.capabilities)
            typ, data = m._simple_command("ENABLE", "CONDSTORE")
            self.assertEqual(typ, "OK")
            self.assertEqual(m.untagged_responses.pop("ENABLED"), [b"CONDSTORE"])
            typ, data = m.select("INBOX")
            h = int(m.untagged_responses["HIGHESTMODSEQ"][0])
            typ, data = m.uid("STORE", "1", "+FLAGS", "(\\Seen)")
            self.assertRegex(data[0].decode(), r"MODSEQ \((\d+)\)")
            typ, data = m.uid("FETCH", "1:*", "(FLAGS)", "(CHANGEDSINCE %d)" % h)
            self.assertEqual(len([d for d in data if d]), 1)
            self.assertIn(b"UID 1 ", data[0])
        finally:
            m.logout()


try:
    from test_imap_login import ImapServer, MSG, mbsync_setup
except ImportError:   # pragma: no cover
    ImapServer = None


@unittest.skipUnless(ImapServer and all(os.path.exists(os.path.join(BUILD, p)) for p in
                                        ("yubin-auth", "yubin-imapd", "yubin-imap-login", "yubin-tlsd")),
                     "IMAP not built")
class CondstoreService(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = ImapServer()
        cls.srv.setup()
        cls.srv.control("plainloopback", "")
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def account(self):
        addr = "c%d@example.com" % (int(time.time() * 1000) % 10**9)
        time.sleep(0.002)
        home = self.srv.add_account(addr, "pw-condstore-1")
        return addr, "pw-condstore-1", home

    def test_login_then_qresync(self):
        addr, pw, home = self.account()
        for i in range(3):
            self.srv.deliver(addr, MSG.replace(b"imap test", b"cs %d" % i))
        m = imaplib.IMAP4("127.0.0.1", self.srv.port_stls, timeout=30)
        m.login(addr, pw)
        typ, caps = m.capability()
        self.assertIn(b" QRESYNC", caps[0])
        typ, _ = m._simple_command("ENABLE", "QRESYNC")
        self.assertEqual(typ, "OK")
        m.select("INBOX")
        h = int(m.untagged_responses["HIGHESTMODSEQ"][0])
        validity = int(m.untagged_responses["UIDVALIDITY"][0])
        m.logout()

        m = imaplib.IMAP4("127.0.0.1", self.srv.port_stls, timeout=30)   # another client, no CONDSTORE
        m.login(addr, pw)
        m.select("INBOX")
        m.uid("STORE", "3", "+FLAGS", "(\\Deleted)")
        m.expunge()
        m.uid("STORE", "1", "+FLAGS", "(\\Seen)")
        m.logout()

        m = imaplib.IMAP4("127.0.0.1", self.srv.port_stls, timeout=30)
        m.login(addr, pw)
        m._simple_command("ENABLE", "QRESYNC")
        typ, data = m._simple_command("SELECT", "INBOX", "(QRESYNC (%d %d))" % (validity, h))
        self.assertEqual(typ, "OK")
        self.assertEqual(m.untagged_responses.get("VANISHED"), [b"(EARLIER) 3"])
        changed = m.untagged_responses.get("FETCH")
        self.assertEqual(len(changed), 1)
        self.assertRegex(changed[0].decode(), r"UID 1 FLAGS \(\\Seen\) MODSEQ \(\d+\)")
        m.logout()
        self.assertTrue(os.path.exists(os.path.join(home, "Maildir", "yubin-imap.modseq")))

    def test_mbsync_still_syncs(self):
        """mbsync (isync 1.4) does not use CONDSTORE: it syncs as before and
        leaves no mod-sequence state behind."""
        if not shutil.which("mbsync"):
            self.skipTest("mbsync not installed")
        addr, pw, home = self.account()
        self.srv.deliver(addr, MSG)
        self.srv.deliver(addr, MSG.replace(b"imap test", b"second"))
        local, run = mbsync_setup(self.srv, addr, pw, "INBOX")

        def local_files():
            d = os.path.join(local, "mail", "INBOX")
            return sorted(os.listdir(os.path.join(d, "cur")) + os.listdir(os.path.join(d, "new")))

        run()
        self.assertEqual(len(local_files()), 2)
        # a flag set on the server by a CONDSTORE client reaches mbsync
        m = imaplib.IMAP4("127.0.0.1", self.srv.port_stls, timeout=30)
        m.login(addr, pw)
        m.select("INBOX")
        typ, data = m.uid("STORE", "1", "(UNCHANGEDSINCE 999999999999999999)", "+FLAGS", "(\\Flagged)")
        self.assertEqual(typ, "OK")
        m.logout()
        run()
        self.assertEqual(len([f for f in local_files() if re.search(r":2,[A-Z]*F", f)]), 1)
        # mbsync itself never enabled CONDSTORE: only the one STORE above wrote state
        with open(os.path.join(home, "Maildir", "yubin-imap.modseq")) as f:
            self.assertTrue(f.read().startswith("yubin-imap-modseq 1 "))


if __name__ == "__main__":
    unittest.main()
