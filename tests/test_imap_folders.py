"""yubin-imapd's folders and keywords, as a mail client sees them through
imaplib: keywords kept per folder (Dovecot's dovecot-keywords and letters
a..z in the Maildir names), LIST-EXTENDED, LIST-STATUS, RENAME (of INBOX,
of folders with children, onto existing names), CREATE and DELETE, with
non-ASCII (modified UTF-7) folder names."""
import imaplib, os, re, time, unittest

from imaptest import IMAPD, MaildirCase
from yubintest import BUILD

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
class ImapFoldersBase(MaildirCase):
    def deliver(self, data=MSG, folder=None):
        super().deliver(data, folder)

    def ok(self, r):
        typ, data = r
        self.assertEqual(typ, "OK", data)
        return data

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

    def flags(self, s):
        s.untagged_responses.pop("FETCH", None)   # flag changes told at the last NOOP
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

    def test_full_destination_refuses_and_keeps_everything(self):
        self.deliver()
        s = self.session()
        self.ok(s.create("Full"))
        with open(os.path.join(self.md, ".Full", "dovecot-keywords"), "w") as f:
            f.write("".join("%d full%d\n" % (i, i) for i in range(26)))
        self.ok(s.select("INBOX"))
        self.ok(s.store("1", "+FLAGS", "(Mine)"))
        st, lines = self.raw(s, "MOVE 1 Full")
        self.assertTrue(st.startswith("NO [LIMIT]"), st)
        self.assertEqual(self.flags(s), [{"Mine"}])
        self.assertEqual(len(self.names()), 1)
        self.assertEqual(os.listdir(os.path.join(self.md, ".Full", "cur")), [])
        # a keyword the destination knows is fine
        self.ok(s.store("1", "FLAGS", "(full7)"))
        self.ok(s.copy("1", "Full"))
        self.ok(s.select("Full"))
        self.assertEqual(self.flags(s), [{"full7"}])
        self.assertTrue(self.names("Full")[0].endswith(":2,h"), self.names("Full"))

    def test_two_sessions_name_keywords_without_clashing(self):
        self.deliver()
        self.deliver()
        a, b = self.session(), self.session()
        self.ok(a.select("INBOX"))
        self.ok(b.select("INBOX"))
        # each session adds keywords the other has not seen yet
        for i in range(5):
            self.ok(a.store("1", "+FLAGS", "(a%d)" % i))
            self.ok(b.store("2", "+FLAGS", "(b%d)" % i))
        with open(os.path.join(self.md, "dovecot-keywords")) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 10)
        self.assertEqual(len({l.split()[0] for l in lines}), 10)
        want = [{"a%d" % i for i in range(5)}, {"b%d" % i for i in range(5)}]
        self.ok(a.noop())       # each learns of the other's changes
        self.ok(b.noop())
        self.assertEqual(self.flags(a), want)
        self.assertEqual(self.flags(b), want)

    def test_messages_renamed_by_another_session(self):
        for _ in range(3):
            self.deliver()
        a, b = self.session(), self.session()
        self.ok(a.select("INBOX"))
        self.ok(b.select("INBOX"))
        self.ok(a.create("Else"))
        # b changes flags: the files get new names a has not seen yet
        self.ok(b.store("1:3", "+FLAGS", "(\\Flagged $Junk)"))
        typ, data = a.fetch("1", "(BODY.PEEK[])")
        self.assertEqual(typ, "OK", data)
        self.assertEqual(data[0][1], MSG.replace(b"\n", b"\r\n"))
        self.ok(a.store("2", "+FLAGS", "(\\Deleted)"))
        self.ok(a.copy("3", "Else"))
        self.ok(a.expunge())
        self.assertEqual(len(self.names()), 2)
        self.ok(b.noop())
        self.assertEqual(self.flags(b), [{"\\Flagged", "$Junk"}, {"\\Flagged", "$Junk"}])
        typ, data = a.uid("MOVE", "3", "Else")
        self.assertEqual(typ, "OK", data)
        self.assertEqual(len(self.names()), 1)
        self.assertEqual(len(self.names("Else")), 2)

    def test_keyword_search_in_an_empty_folder(self):
        s = self.session()
        self.ok(s.select("Trash"))
        self.assertEqual(self.ok(s.search(None, "KEYWORD", "$Junk")), [b""])
        self.assertEqual(self.ok(s.uid("SEARCH", "UNKEYWORD", "$Junk")), [b""])
        st, lines = self.raw(s, "SEARCH KEYWORD")
        self.assertTrue(st.startswith("BAD"), st)

    def test_idle_hears_of_a_new_keyword(self):
        self.deliver()
        a, b = self.session(), self.session()
        self.ok(a.select("INBOX"))
        self.ok(b.select("INBOX"))
        tag = a._new_tag().decode()
        a.send(("%s IDLE\r\n" % tag).encode())
        self.assertTrue(a._get_line().startswith(b"+"))
        self.ok(b.store("1", "+FLAGS", "($Important)"))
        deadline, got = time.time() + 5, []
        while time.time() < deadline and not any(l.startswith(b"* FLAGS") for l in got):
            got.append(a._get_line())
        self.assertTrue(any(l.startswith(b"* FLAGS") and b"$Important" in l for l in got), got)
        a.send(b"DONE\r\n")
        while not a._get_line().startswith(tag.encode()):
            pass

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


def list_lines(lines):
    """{name: (attributes as a set, the rest of the line)} from LIST lines."""
    out = {}
    for l in lines:
        m = re.match(r'\* (?:LIST|LSUB) \(([^)]*)\) "\." ("(?:[^"\\]|\\.)*"|\S+)(.*)$', l)
        if m:
            name = m.group(2)
            if name.startswith('"'):
                name = name[1:-1]
            out[name] = (set(m.group(1).split()), m.group(3).strip())
    return out


def status_lines(lines):
    out = {}
    for l in lines:
        m = re.match(r'\* STATUS ("[^"]*"|\S+) \((.*)\)$', l)
        if m:
            name = m.group(1).strip('"')
            v = m.group(2).split()
            out[name] = dict(zip(v[0::2], (int(x) for x in v[1::2])))
    return out


class ListExtended(ImapFoldersBase):
    def setUp(self):
        super().setUp()
        s = self.session()
        # the usual folders come at the first session; then a tree
        for name in ("Work", "Work.Projects", "Work.Projects.Old", "Lists", "Lists.debian",
                     PRIVET, PRIVET + ".x"):
            self.ok(s.create(name))
        self.ok(s.subscribe("Work.Projects"))
        self.ok(s.subscribe("Lists"))
        self.ok(s.create("Gone"))
        self.ok(s.subscribe("Gone"))
        self.ok(s.delete("Gone"))           # a subscription without a folder
        self.ok(s.unsubscribe("Junk"))
        self.s = s

    def test_capabilities(self):
        caps = self.s.capabilities
        for c in ("LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "CREATE-SPECIAL-USE", "CHILDREN"):
            self.assertIn(c, caps)

    def test_plain_list_children_and_noselect(self):
        st, lines = self.raw(self.s, 'LIST "" "*"')
        self.assertTrue(st.startswith("OK"), st)
        l = list_lines(lines)
        self.assertEqual(l["INBOX"][0], {"\\HasNoChildren"})
        self.assertEqual(l["Work"][0], {"\\HasChildren"})
        self.assertEqual(l["Work.Projects.Old"][0], {"\\HasNoChildren"})
        self.assertEqual(l["Sent"][0], {"\\HasNoChildren", "\\Sent"})
        self.assertNotIn("Gone", l)
        st, lines = self.raw(self.s, 'LIST "" "%"')
        self.assertEqual(set(list_lines(lines)), {"INBOX", "Work", "Lists", PRIVET, "Sent", "Drafts",
                                                  "Trash", "Junk", "Archive"})
        # a parent that is not a folder: \Noselect (plain LIST), \NonExistent (extended)
        self.ok(self.s.delete("Work"))
        st, lines = self.raw(self.s, 'LIST "" "Work%"')
        self.assertEqual(list_lines(lines)["Work"][0], {"\\Noselect", "\\HasChildren"})
        st, lines = self.raw(self.s, 'LIST () "" "Work%"')
        self.assertEqual(list_lines(lines)["Work"][0], {"\\NonExistent", "\\HasChildren"})
        st, lines = self.raw(self.s, 'SELECT Work')
        self.assertTrue(st.startswith("NO"), st)
        self.assertEqual(self.ok(self.s.select("Work.Projects")), [b"0"])
        # deleting that parent again is an error (RFC 3501 6.3.4)
        st, lines = self.raw(self.s, "DELETE Work")
        self.assertTrue(st.startswith("NO"), st)

    def test_subscribed_and_recursivematch(self):
        st, lines = self.raw(self.s, 'LIST (SUBSCRIBED) "" "*"')
        self.assertTrue(st.startswith("OK"), st)
        l = list_lines(lines)
        self.assertEqual(set(l), {"INBOX", "Sent", "Drafts", "Trash", "Archive", "Work.Projects",
                                  "Lists", "Gone"})
        self.assertIn("\\Subscribed", l["Lists"][0])
        self.assertEqual(l["Gone"][0], {"\\Subscribed", "\\NonExistent", "\\HasNoChildren"})
        self.assertEqual(l["Sent"][0], {"\\Subscribed", "\\HasNoChildren", "\\Sent"})
        st, lines = self.raw(self.s, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" RETURN (CHILDREN)')
        l = list_lines(lines)
        self.assertEqual(l["Work"], ({"\\HasChildren"}, '("CHILDINFO" ("SUBSCRIBED"))'))
        self.assertEqual(l["Lists"][0], {"\\Subscribed", "\\HasChildren"})
        self.assertEqual(l["Lists"][1], "")
        self.assertNotIn("Junk", l)
        # a subscribed folder with a subscribed child "%" does not show
        self.ok(self.s.subscribe("Lists.debian"))
        st, lines = self.raw(self.s, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')
        l = list_lines(lines)
        self.assertEqual(l["Lists"], ({"\\Subscribed", "\\HasChildren"}, '("CHILDINFO" ("SUBSCRIBED"))'))
        # with "*" the children are listed themselves: no CHILDINFO needed
        st, lines = self.raw(self.s, 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "*"')
        l = list_lines(lines)
        self.assertEqual(l["Lists"][1], "")
        self.assertNotIn("Work", l)
        self.assertIn("Work.Projects", l)
        st, lines = self.raw(self.s, 'LIST (RECURSIVEMATCH) "" "%"')
        self.assertTrue(st.startswith("BAD"), st)
        st, lines = self.raw(self.s, 'LIST (BOGUS) "" "%"')
        self.assertTrue(st.startswith("BAD"), st)
        # RETURN (SUBSCRIBED) marks them without selecting by them; REMOTE changes nothing
        st, lines = self.raw(self.s, 'LIST (REMOTE) "" "*" RETURN (SUBSCRIBED CHILDREN)')
        l = list_lines(lines)
        self.assertIn("Work.Projects.Old", l)
        self.assertEqual(l["Work.Projects"][0], {"\\Subscribed", "\\HasChildren"})
        self.assertEqual(l["Work.Projects.Old"][0], {"\\HasNoChildren"})
        # LSUB still works; "%" shows an unsubscribed level above a subscription as \\Noselect
        st, lines = self.raw(self.s, 'LSUB "" "*"')
        l = list_lines(lines)
        self.assertIn("Work.Projects", l)
        self.assertNotIn("Work", l)
        self.assertEqual(l["Gone"][0], {"\\Noselect", "\\HasNoChildren"})
        st, lines = self.raw(self.s, 'LSUB "" "%"')
        l = list_lines(lines)
        self.assertEqual(l["Work"][0], {"\\Noselect", "\\HasChildren"})
        self.assertNotIn("Work.Projects", l)

    def test_several_patterns_and_special_use(self):
        st, lines = self.raw(self.s, 'LIST "" ("Work.*" "Lis%" INBOX)')
        self.assertEqual(set(list_lines(lines)), {"Work.Projects", "Work.Projects.Old", "Lists", "INBOX"})
        st, lines = self.raw(self.s, 'LIST (SPECIAL-USE) "" "*" RETURN (SPECIAL-USE)')
        l = list_lines(lines)
        self.assertEqual({k: v[0] - {"\\HasNoChildren", "\\HasChildren"} for k, v in l.items()},
                         {"Sent": {"\\Sent"}, "Drafts": {"\\Drafts"}, "Trash": {"\\Trash"},
                          "Junk": {"\\Junk"}, "Archive": {"\\Archive"}})
        # CREATE-SPECIAL-USE
        self.ok(self.s._simple_command("CREATE", '"Sent Items"', "(USE (\\Sent))"))
        st, lines = self.raw(self.s, 'LIST (SPECIAL-USE) "" "Sent*"')
        l = list_lines(lines)
        self.assertIn("\\Sent", l["Sent Items"][0])
        st, lines = self.raw(self.s, 'CREATE Odd (USE (\\Bogus))')
        self.assertTrue(st.startswith("NO [USEATTR]"), st)
        st, lines = self.raw(self.s, 'LIST "" Odd')
        self.assertEqual(list_lines(lines), {})

    def test_list_status(self):
        self.deliver()
        self.deliver()
        self.deliver(folder="Lists")
        # one message in Lists has a UID already, seen; one more arrives
        s2 = self.session()
        self.ok(s2.select("Lists"))
        self.ok(s2.store("1", "+FLAGS", "(\\Seen)"))
        s2.logout()
        self.sessions.remove(s2)
        self.deliver(folder="Lists")
        self.deliver(folder=PRIVET + ".x")
        st, lines = self.raw(self.s, 'LIST "" "*" RETURN (STATUS (MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT))')
        self.assertTrue(st.startswith("OK"), st)
        l, stat = list_lines(lines), status_lines(lines)
        self.assertEqual(stat["INBOX"]["MESSAGES"], 2)
        self.assertEqual(stat["INBOX"]["UNSEEN"], 2)
        self.assertEqual(stat["INBOX"]["UIDNEXT"], 3)
        self.assertEqual(stat["Lists"]["MESSAGES"], 2)
        self.assertEqual(stat["Lists"]["UNSEEN"], 1)
        self.assertEqual(stat["Lists"]["UIDNEXT"], 3)
        self.assertEqual(stat["Lists"]["RECENT"], 1)
        self.assertEqual(stat[PRIVET + ".x"]["MESSAGES"], 1)
        self.assertEqual(stat[PRIVET]["MESSAGES"], 0)
        self.assertEqual(set(stat), set(l))
        # the STATUS line follows its LIST line; the UIDVALIDITY is the one SELECT gives
        i = [k for k, x in enumerate(lines) if x.startswith("* LIST") and "Lists" in x and "debian" not in x][0]
        self.assertTrue(lines[i + 1].startswith('* STATUS "Lists"') or lines[i + 1].startswith("* STATUS Lists"))
        self.ok(self.s.select("Lists"))
        self.assertEqual(int(self.s.untagged_responses["UIDVALIDITY"][0]), stat["Lists"]["UIDVALIDITY"])
        self.assertEqual(self.ok(self.s.status("Lists", "(UIDNEXT MESSAGES)")),
                         [b'"Lists" (UIDNEXT 3 MESSAGES 2)'])
        # no STATUS for a folder that does not exist
        self.ok(self.s.delete("Work"))
        st, lines = self.raw(self.s, 'LIST () "" "Work" RETURN (STATUS (MESSAGES))')
        self.assertIn("\\NonExistent", list_lines(lines)["Work"][0])
        self.assertEqual(status_lines(lines), {})

    def test_list_status_is_fast_on_a_large_folder(self):
        cur = os.path.join(self.md, ".Lists", "cur")
        self.ok(self.s.status("Lists", "(MESSAGES)"))     # the folder's UID state exists
        body = b"Subject: x\n\nx\n"
        for i in range(20000):
            name = "%d.M%dP1.big,S=%d:2,%s" % (1700000000 + i, i, len(body), "S" if i % 2 else "")
            with open(os.path.join(cur, name), "wb") as f:
                f.write(body)
        for _ in range(2):
            st, lines = self.raw(self.s, 'LIST "" "Lists" RETURN (STATUS (MESSAGES UNSEEN UIDNEXT))')
            stat = status_lines(lines)["Lists"]
            self.assertEqual(stat, {"MESSAGES": 20000, "UNSEEN": 10000, "UIDNEXT": 20001})
        # counting gave out no UIDs and read no message: names are as they were
        self.assertEqual(len([n for n in os.listdir(cur) if ",U=" in n]), 0)


class Rename(ImapFoldersBase):
    def test_rename_inbox(self):
        self.deliver()
        self.deliver()
        s = self.session()
        self.ok(s.select("INBOX"))
        validity = int(s.untagged_responses["UIDVALIDITY"][0])
        self.ok(s.store("2", "+FLAGS", "(\\Flagged $Important)"))
        self.deliver()                      # not seen by any session yet
        st, lines = self.raw(s, "RENAME INBOX " + ENTWURFE)
        self.assertTrue(st.startswith("OK"), st)
        self.assertEqual([l for l in lines if l.endswith("EXPUNGE")], ["* 2 EXPUNGE", "* 1 EXPUNGE"])
        self.assertEqual(self.ok(s.select("INBOX")), [b"0"])
        self.assertEqual(int(s.untagged_responses["UIDVALIDITY"][0]), validity)
        self.assertEqual(self.ok(s.select(ENTWURFE)), [b"3"])
        # same UIDVALIDITY and UIDs in the new folder, flags and keywords kept
        self.assertEqual(int(s.untagged_responses["UIDVALIDITY"][0]), validity)
        typ, data = s.uid("FETCH", "1:*", "(FLAGS)")
        got = [(int(re.search(rb"UID (\d+)", d).group(1)), set(re.search(rb"FLAGS \(([^)]*)\)", d).group(1).decode().split()) - {"\\Recent"}) for d in data]
        self.assertEqual(sorted(got), [(1, set()), (2, {"\\Flagged", "$Important"}), (3, set())])
        # INBOX never gives those UIDs again
        self.deliver()
        self.ok(s.select("INBOX"))
        self.assertEqual(self.ok(s.uid("SEARCH", "ALL")), [b"4"])
        # the name is listed, in modified UTF-7
        st, lines = self.raw(s, 'LIST "" "Entw*" RETURN (STATUS (MESSAGES))')
        self.assertEqual(status_lines(lines), {ENTWURFE: {"MESSAGES": 3}})
        # onto an existing name
        st, lines = self.raw(s, "RENAME INBOX Sent")
        self.assertTrue(st.startswith("NO [ALREADYEXISTS]"), st)
        st, lines = self.raw(s, "RENAME Sent INBOX")
        self.assertTrue(st.startswith("NO [ALREADYEXISTS]"), st)

    def test_rename_with_children_and_subscriptions(self):
        s = self.session()
        for n in ("A", "A.B", "A.B.C", "AB"):
            self.ok(s.create(n))
            self.ok(s.subscribe(n))
        self.ok(s.append("A.B", None, None, MSG))
        self.ok(s.select("A.B"))
        validity = int(s.untagged_responses["UIDVALIDITY"][0])
        st, lines = self.raw(s, "RENAME A " + PRIVET)
        self.assertTrue(st.startswith("OK"), st)
        st, lines = self.raw(s, 'LIST "" "*"')
        names = set(list_lines(lines))
        self.assertTrue({PRIVET, PRIVET + ".B", PRIVET + ".B.C", "AB"} <= names, names)
        self.assertFalse({"A", "A.B", "A.B.C"} & names)
        st, lines = self.raw(s, 'LIST (SUBSCRIBED) "" "*"')
        names = set(list_lines(lines))
        self.assertTrue({PRIVET, PRIVET + ".B", PRIVET + ".B.C", "AB"} <= names, names)
        # the selected folder went with it
        self.assertEqual(self.ok(s.fetch("1", "(RFC822.SIZE)"))[0][:2], b"1 ")
        self.ok(s.select(PRIVET + ".B"))
        self.assertEqual(int(s.untagged_responses["UIDVALIDITY"][0]), validity)
        # onto an existing name, into itself, from nothing
        st, lines = self.raw(s, "RENAME AB " + PRIVET)
        self.assertTrue(st.startswith("NO [ALREADYEXISTS]"), st)
        self.ok(s.create("Z.B"))
        st, lines = self.raw(s, "RENAME %s Z" % PRIVET)
        self.assertTrue(st.startswith("NO [ALREADYEXISTS]"), st)   # Z.B is taken
        self.assertTrue(os.path.isdir(os.path.join(self.md, "." + PRIVET + ".B.C")))
        st, lines = self.raw(s, "RENAME %s %s.sub" % (PRIVET, PRIVET))
        self.assertTrue(st.startswith("NO [CANNOT]"), st)
        st, lines = self.raw(s, "RENAME Nothing Else")
        self.assertTrue(st.startswith("NO [NONEXISTENT]"), st)
        st, lines = self.raw(s, "RENAME AB &AGE-")
        self.assertTrue(st.startswith("NO"), st)

    def test_create_trailing_delimiter_and_delete(self):
        s = self.session()
        self.ok(s.create("Parent."))
        st, lines = self.raw(s, 'LIST "" "Parent*"')
        self.assertEqual(list_lines(lines), {"Parent": ({"\\HasNoChildren"}, "")})
        st, lines = self.raw(s, "CREATE Parent")
        self.assertTrue(st.startswith("NO [ALREADYEXISTS]"), st)
        self.ok(s.create("Parent.Child"))
        self.ok(s.append("Parent", None, None, MSG))
        self.ok(s.delete("Parent"))
        st, lines = self.raw(s, 'LIST "" "Parent*"')
        self.assertEqual(list_lines(lines), {"Parent": ({"\\Noselect", "\\HasChildren"}, ""),
                                             "Parent.Child": ({"\\HasNoChildren"}, "")})
        self.ok(s.delete("Parent.Child"))
        st, lines = self.raw(s, 'LIST "" "Parent*"')
        self.assertEqual(list_lines(lines), {})


LOGIN_PROGS = ("yubin-auth", "yubin-imapd", "yubin-imap-login", "yubin-tlsd")


@unittest.skipUnless(all(os.path.exists(os.path.join(BUILD, p)) for p in LOGIN_PROGS), "IMAP not built")
class ThroughTheService(unittest.TestCase):
    """A client logging in through yubin-imap-login (STARTTLS port, loopback
    plain login allowed): keywords, LIST-EXTENDED with STATUS and RENAME of
    INBOX, with the files owned by the account."""

    @classmethod
    def setUpClass(cls):
        from test_imap_login import ImapServer
        cls.srv = ImapServer()
        cls.srv.setup()
        cls.srv.control("plainloopback", "")
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_keywords_list_status_rename_inbox(self):
        addr, pw = "folders%d@example.com" % os.getpid(), "pw-" + "f" * 10
        home = self.srv.add_account(addr, pw)
        self.srv.deliver(addr, MSG)
        self.srv.deliver(addr, MSG)
        m = imaplib.IMAP4("127.0.0.1", self.srv.port_stls, timeout=30)
        try:
            self.assertEqual(m.login(addr, pw)[0], "OK")
            self.assertIn(b"LIST-STATUS", m.capability()[1][0])
            self.assertEqual(m.select("INBOX"), ("OK", [b"2"]))
            typ, data = m.store("1", "+FLAGS", "($Forwarded $label1)")
            self.assertEqual(typ, "OK", data)
            self.assertIn(b"$label1", data[0])
            typ, data = m.search(None, "KEYWORD", "$label1")
            self.assertEqual((typ, data), ("OK", [b"1"]))
            self.assertEqual(m.create(ENTWURFE)[0], "OK")
            self.assertEqual(m.copy("1:2", ENTWURFE)[0], "OK")
            typ, data = m._simple_command("LIST", '""', '("INBOX" "Entw*")', "RETURN",
                                          "(SUBSCRIBED STATUS (MESSAGES UNSEEN))")
            self.assertEqual(typ, "OK", data)
            st = m.untagged_responses.pop("STATUS", [])
            self.assertIn(b'"%s" (MESSAGES 2 UNSEEN 2)' % ENTWURFE.encode(), st)
            self.assertIn(b"INBOX (MESSAGES 2 UNSEEN 2)", [x.replace(b'"', b"") for x in st])
            lst = m.untagged_responses.pop("LIST", [])
            self.assertIn(b'(\\Subscribed \\HasNoChildren) "." INBOX', lst)
            self.assertEqual(m.rename("INBOX", "Old-Inbox")[0], "OK")
            self.assertEqual(m.select("INBOX"), ("OK", [b"0"]))
            self.assertEqual(m.select("Old-Inbox"), ("OK", [b"2"]))
            typ, data = m.fetch("1", "(FLAGS)")
            self.assertIn(b"$Forwarded", data[0])
            m.logout()
        finally:
            try:
                m.shutdown()
            except Exception:
                pass
        # written by the session, as the account
        md = os.path.join(home, "Maildir")
        for f in ("dovecot-keywords", ".Old-Inbox/dovecot-keywords", "." + ENTWURFE + "/dovecot-keywords"):
            self.assertEqual(os.stat(os.path.join(md, f)).st_uid, self.srv.uid, f)
        with open(os.path.join(md, "." + ENTWURFE, "dovecot-keywords")) as f:
            self.assertEqual(f.read(), "0 $Forwarded\n1 $label1\n")


if __name__ == "__main__":
    unittest.main()
