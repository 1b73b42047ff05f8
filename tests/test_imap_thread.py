"""THREAD REFERENCES and ORDEREDSUBJECT and SORT with what a mail client
sends them: message ids that differ in case, replies delivered before the
message they answer, In-Reply-To with several ids, a folder large enough
that the THREAD response is written out in pieces; SORT RETURN with SAVE
(RFC 5182, RFC 5267).  Through yubin-imapd over a pipe, and once through the
real services after a login."""
import email.utils, imaplib, os, re, unittest

from test_imap_sort import Base, IMAPD, ImapServer, PROGS, ServiceCase, msg
from yubintest import BUILD


def thread_numbers(resp):
    """Every number of a thread response, in order, after checking that its
    parentheses balance."""
    depth = 0
    for ch in resp:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            raise AssertionError("unbalanced: " + resp[:80])
    if depth:
        raise AssertionError("unbalanced: " + resp[:80])
    return [int(x) for x in re.findall(r"\d+", resp)]


@unittest.skipUnless(os.path.exists(IMAPD), "yubin-imapd not built")
class ThreadIds(Base):
    def test_ids_as_clients_send_them(self):
        d = "Date: Mon, 23 Nov 2026 %02d:00:00 +0000"
        # 1, 2: ids that differ only in case are two messages (ids compare as octets)
        self.deliver(msg("upper", headers=("Message-ID: <Case@example.org>", d % 1)))
        self.deliver(msg("lower", headers=("Message-ID: <case@example.org>", d % 2)))
        # 3: answers 1 by its id exactly as 1 wrote it
        self.deliver(msg("Re: upper", headers=("Message-ID: <r@example.org>", "References: <Case@example.org>",
                                              d % 3)))
        # 4 arrives before 5, the message it answers (itself an answer to 6, later still)
        self.deliver(msg("Re: Re: late", headers=("Message-ID: <c4@example.org>",
                                                 "References: <c6@example.org>\r\n <c5@example.org>", d % 9)))
        self.deliver(msg("Re: late", headers=("Message-ID: <c5@example.org>", "In-Reply-To: <c6@example.org>",
                                             d % 8)))
        self.deliver(msg("late", headers=("Message-ID: <c6@example.org>", d % 7)))
        # 7: In-Reply-To naming two messages: the first is the parent
        self.deliver(msg("Re: lower", headers=("Message-ID: <x7@example.org>",
                                              "In-Reply-To: <case@example.org> <Case@example.org>", d % 10)))
        s = self.session()
        typ, data = s.thread("REFERENCES", "UTF-8", "ALL")
        self.assertEqual((typ, data), ("OK", [b"(1 3)(2 7)(6 5 4)"]))
        typ, data = s.uid("THREAD", "REFERENCES", "UTF-8", "NOT SUBJECT upper")
        self.assertEqual((typ, data), ("OK", [b"(2 7)(6 5 4)"]))
        typ, data = s.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
        self.assertEqual((typ, data), ("OK", [b"(1 3)(2 7)(6 (5)(4))"]))
        st, u, tag = self.raw(s, "THREAD REFERENCES UTF-8 SUBJECT nothing")
        self.assertTrue(st.startswith(b"OK"), st)
        self.assertEqual(u, [b"* THREAD"])
        s.logout()

    def test_large_folder(self):
        """3,600 messages in chains of twelve, the last chain the oldest by
        date: a response of several pieces, every message once, chains whole."""
        n = 3600
        for i in range(n):
            root = i - i % 12
            h = ["Message-ID: <m%d@example.org>" % i,
                 "Date: " + email.utils.formatdate(1790000000 + (n - root) * 60 + i % 12, usegmt=True)]
            if i % 12:
                h.append("References: " + " ".join("<m%d@example.org>" % k for k in range(root, i)))
            self.deliver(msg(("Re: " if i % 12 else "") + "subject %d" % (root // 12), headers=h))
        s = self.session()
        typ, data = s.thread("REFERENCES", "UTF-8", "ALL")
        self.assertEqual(typ, "OK")
        resp = data[0].decode()
        self.assertGreater(len(resp), 16384)
        self.assertEqual(sorted(thread_numbers(resp)), list(range(1, n + 1)))
        chains = re.findall(r"\(([\d ]+)\)", resp)
        self.assertEqual(len(chains), n // 12)
        self.assertEqual(chains[0], " ".join(str(k) for k in range(n - 11, n + 1)))
        typ, data = s.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
        self.assertEqual(typ, "OK")
        self.assertEqual(sorted(thread_numbers(data[0].decode())), list(range(1, n + 1)))
        typ, data = s.sort("(SUBJECT DATE)", "UTF-8", "ALL")
        self.assertEqual(typ, "OK")
        self.assertEqual(sorted(int(x) for x in data[0].split()), list(range(1, n + 1)))
        s.logout()


@unittest.skipUnless(os.path.exists(IMAPD), "yubin-imapd not built")
class SortSave(Base):
    def test_sort_return_save(self):
        subjects = ["delta", "alpha", "charlie", "bravo", "echo"]
        for k, subj in enumerate(subjects):
            self.deliver(msg(subj, frm="u%d@example.org" % (5 - k)))
        s = self.session()
        # SAVE alone: no untagged answer, "$" is the set of what matched
        st, u, tag = self.raw(s, "SORT RETURN (SAVE) (SUBJECT) UTF-8 NOT SUBJECT echo")
        self.assertTrue(st.startswith(b"OK"), st)
        self.assertEqual(u, [])
        self.assertEqual(self.search(s, "$"), [1, 2, 3, 4])
        # MIN with SAVE: the first in the sort order is kept
        st, u, tag = self.raw(s, "SORT RETURN (MIN SAVE) (SUBJECT) UTF-8 ALL")
        self.assertEqual(u, [b'* ESEARCH (TAG "' + tag + b'") MIN 2'])
        self.assertEqual(self.search(s, "$"), [2])
        st, u, tag = self.raw(s, "UID SORT RETURN (MAX SAVE) (FROM) UTF-8 ALL")
        self.assertEqual(u, [b'* ESEARCH (TAG "' + tag + b'") UID MAX 1'])
        self.assertEqual(self.search(s, "$"), [1])
        # ALL with SAVE: the answer in sort order, the saved set used by FETCH
        st, u, tag = self.raw(s, "SORT RETURN (ALL SAVE) (REVERSE SUBJECT) UTF-8 SUBJECT a")
        self.assertEqual(u, [b'* ESEARCH (TAG "' + tag + b'") ALL 1,3:4,2'])
        typ, data = s.fetch("$", "(UID)")
        self.assertEqual([int(re.match(rb"(\d+)", x).group(1)) for x in data], [1, 2, 3, 4])
        # a SORT that finds nothing leaves "$" empty
        self.raw(s, "SORT RETURN (SAVE) (DATE) UTF-8 SUBJECT zulu")
        self.assertEqual(self.search(s, "$"), [])
        self.raw(s, "SORT RETURN (SAVE) (DATE) UTF-8 ALL")
        self.assertEqual(self.search(s, "$"), [1, 2, 3, 4, 5])
        # a SORT with SAVE that is refused empties "$" too
        st, u, tag = self.raw(s, "SORT RETURN (SAVE) (NOSUCHKEY) UTF-8 ALL")
        self.assertTrue(st.startswith(b"BAD"), st)
        self.assertEqual(self.search(s, "$"), [])
        s.logout()


@unittest.skipUnless(ImapServer and all(os.path.exists(os.path.join(BUILD, p)) for p in PROGS), "IMAP not built")
class ThreadAfterLogin(ServiceCase):
    """Through the real service: login stage, yubin-auth, yubin-imapd under
    the account's uid."""
    def test_thread_and_sort_save(self):
        addr, pw = "threader@example.com", "pw-" + "t" * 10
        self.srv.add_account(addr, pw)
        self.srv.deliver(addr, msg("Re: plans", headers=("Message-ID: <p2@x>", "In-Reply-To: <p1@x>"),
                                   date="Tue, 24 Nov 2026 10:00:00 +0000"))
        self.srv.deliver(addr, msg("other", headers=("Message-ID: <P1@x>",), date="Mon, 23 Nov 2026 09:00:00 +0000"))
        self.srv.deliver(addr, msg("plans", headers=("Message-ID: <p1@x>",), date="Mon, 23 Nov 2026 10:00:00 +0000"))
        m = imaplib.IMAP4("127.0.0.1", self.srv.port_stls, timeout=30)
        m.login(addr, pw)
        self.assertEqual(m.select("INBOX"), ("OK", [b"3"]))
        self.assertEqual(m.thread("REFERENCES", "UTF-8", "ALL"), ("OK", [b"(2)(3 1)"]))
        self.assertEqual(m.thread("ORDEREDSUBJECT", "UTF-8", "ALL"), ("OK", [b"(2)(3 1)"]))
        typ, data = m._simple_command("SORT", "RETURN", "(SAVE)", "(SUBJECT)", "UTF-8", "ALL")
        self.assertEqual(typ, "OK")
        typ, data = m.fetch("$", "(UID)")
        self.assertEqual(len(data), 3)
        m.logout()


if __name__ == "__main__":
    unittest.main()
