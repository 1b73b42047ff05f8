"""SEARCH (every key, decoded text, UTF-8), ESEARCH, SEARCHRES, SORT and
THREAD in yubin-imapd, driven by Python's imaplib over a pipe
(IMAP4_stream) on a Maildir filled with crafted messages, and once through
the real services after a login."""
import base64, imaplib, os, re, unittest

from imaptest import IMAPD, MaildirCase
from yubintest import BUILD
try:
    from test_imap_login import ImapServer, PROGS, ServiceCase
except ImportError:          # the login stage is not there: the service test is skipped
    ImapServer, PROGS, ServiceCase = None, ("yubin-imap-login",), unittest.TestCase


def msg(subject=None, frm="someone@example.org", to="you@example.com", date=None, cc=None,
        body="hello\n", headers=(), ctype=None, cte=None):
    h = []
    if frm is not None:
        h.append("From: " + frm)
    if to is not None:
        h.append("To: " + to)
    if cc is not None:
        h.append("Cc: " + cc)
    if subject is not None:
        h.append("Subject: " + subject)
    if date is not None:
        h.append("Date: " + date)
    h.extend(headers)
    if ctype:
        h.append("MIME-Version: 1.0")
        h.append("Content-Type: " + ctype)
    if cte:
        h.append("Content-Transfer-Encoding: " + cte)
    return ("\n".join(h) + "\n\n").encode() + (body if isinstance(body, bytes) else body.encode())


class Base(MaildirCase):
    select_inbox = True

    def deliver(self, data, arrival=None):
        """Delivers in order; arrival becomes the INTERNALDATE (default: one
        minute apart, in delivery order)."""
        super().deliver(data, arrival=arrival if arrival is not None else 1790000000 + 60 * (self.n + 1))

    def search(self, s, *crit, uid=False):
        typ, data = s.uid("SEARCH", *crit) if uid else s.search(None, *crit)
        self.assertEqual(typ, "OK", data)
        return [int(x) for x in data[0].split()]

    def raw(self, s, line):
        """Sends one command line; returns (tagged status line, untagged lines)."""
        tag = s._new_tag()
        s.send(tag + b" " + line.encode() + b"\r\n")
        untagged = []
        while True:
            l = s.readline()
            if l.startswith(tag + b" "):
                return l.rstrip(b"\r\n")[len(tag) + 1:], untagged, tag
            untagged.append(l.rstrip(b"\r\n"))


@unittest.skipUnless(os.path.exists(IMAPD), "yubin-imapd not built")
class Search(Base):
    def fill(self):
        self.deliver(msg("=?UTF-8?B?w4l0w6kgw6AgUGFyaXM=?=", frm="=?ISO-8859-1?Q?Andr=E9?= <andre@example.fr>",
                         date="Mon, 23 Nov 2026 23:30:00 -0500"))                      # 1 "Été à Paris"
        self.deliver(msg("=?koi8-r?B?8NLJ18XU?=", frm="ivan@example.ru", date="Sun, 22 Nov 2026 08:00:00 +0300",
                         body="caf=C3=A9 cr=C3=A8me =\nbr=C3=BBl=C3=A9e\n", ctype="text/plain; charset=utf-8",
                         cte="quoted-printable"))                                         # 2 "Привет"
        self.deliver(msg("plain", date="not a date at all",
                         body=base64.encodebytes("ΣΟΦΙΑ and Ärger\n".encode()).decode(),
                         ctype="text/plain; charset=utf-8", cte="base64",
                         headers=("X-Empty:", "Received: from a", "Received: from hop-two")))  # 3
        self.deliver(msg("latin", date="21 Nov 2026 12:00 GMT", body="Gr\xfc\xdfe\n".encode("latin-1"),
                         ctype="text/plain; charset=iso-8859-1", cte="8bit"))              # 4
        self.deliver(msg("nodate"))                                                        # 5

    def test_decoded_and_folded_text(self):
        self.fill()
        s = self.session()
        self.assertEqual(self.search(s, "CHARSET", "UTF-8", "SUBJECT", '"été"'.encode()), [1])
        self.assertEqual(self.search(s, "CHARSET", "UTF-8", "SUBJECT", '"ÉTÉ À"'.encode()), [1])
        self.assertEqual(self.search(s, "CHARSET", "UTF-8", "SUBJECT", '"привет"'.encode()), [2])
        self.assertEqual(self.search(s, "CHARSET", "UTF-8", "FROM", '"andré"'.encode()), [1])
        self.assertEqual(self.search(s, "FROM", "ANDRE@EXAMPLE.FR"), [1])
        # BODY decodes quoted-printable and base64, and converts charsets
        self.assertEqual(self.search(s, "CHARSET", "UTF-8", "BODY", '"crème brûlée"'.encode()), [2])
        self.assertEqual(self.search(s, "CHARSET", "UTF-8", "BODY", '"σοφια"'.encode()), [3])
        self.assertEqual(self.search(s, "CHARSET", "UTF-8", "BODY", '"ärger"'.encode()), [3])
        self.assertEqual(self.search(s, "CHARSET", "UTF-8", "BODY", '"grüße"'.encode()), [4])
        self.assertEqual(self.search(s, "BODY", "Paris"), [])
        # TEXT is header and body
        self.assertEqual(self.search(s, "CHARSET", "UTF-8", "TEXT", '"paris"'.encode()), [1])
        self.assertEqual(self.search(s, "TEXT", "hop-two"), [3])
        s.logout()

    def test_header_keys(self):
        self.fill()
        s = self.session()
        self.assertEqual(self.search(s, "HEADER", "X-Empty", '""'), [3])     # the field is there
        self.assertEqual(self.search(s, "HEADER", "Received", "hop-two"), [3])  # any of its fields
        self.assertEqual(self.search(s, "HEADER", "Date", '""'), [1, 2, 3, 4])
        self.assertEqual(self.search(s, "NOT", "HEADER", "Date", '""'), [5])
        self.assertEqual(self.search(s, "TO", "you@"), [1, 2, 3, 4, 5])
        self.assertEqual(self.search(s, "CC", "x"), [])
        typ, data = s.search("ISO-8859-1", "SUBJECT", "x")
        self.assertEqual(typ, "NO")
        self.assertIn(b"BADCHARSET", data[0])
        s.logout()

    def test_raw_utf8_header(self):
        # an 8-bit UTF-8 header (SMTPUTF8 mail) needs no decoding, only folding
        self.deliver("Subject: Ärger mit Öl\nFrom: Jörg <j@example.de>\n\nhallo\n".encode())
        self.deliver(msg("other"))
        s = self.session()
        self.assertEqual(self.search(s, "CHARSET", "UTF-8", "SUBJECT", '"ärger MIT öl"'.encode()), [1])
        self.assertEqual(self.search(s, "CHARSET", "UTF-8", "FROM", '"JÖRG"'.encode()), [1])
        typ, data = s.sort("(SUBJECT)", "UTF-8", "ALL")
        self.assertEqual(data, [b"2 1"])                # "other" before "ärger" (code point order)
        s.logout()

    def test_sent_dates(self):
        self.fill()
        s = self.session()
        # the date as written, its own zone: 23 Nov at 23:30 -0500 is on the 23rd
        self.assertEqual(self.search(s, "SENTON", "23-Nov-2026"), [1])
        self.assertEqual(self.search(s, "SENTON", "22-Nov-2026"), [2])
        self.assertEqual(self.search(s, "SENTBEFORE", "23-Nov-2026"), [2, 4])
        self.assertEqual(self.search(s, "SENTSINCE", "22-Nov-2026"), [1, 2])
        # unparsable and missing dates never match
        self.assertEqual(self.search(s, "OR", "SENTBEFORE", "1-Jan-2100", "SENTSINCE", "1-Jan-1970"), [1, 2, 4])
        s.logout()

    def test_other_keys(self):
        self.fill()
        s = self.session()
        s.store("2", "+FLAGS", "(\\Flagged)")
        self.assertEqual(self.search(s, "FLAGGED"), [2])
        self.assertEqual(self.search(s, "UNFLAGGED", "NOT", "5"), [1, 3, 4])
        self.assertEqual(self.search(s, "OR", "1", "UID", "4:*"), [1, 4, 5])
        self.assertEqual(self.search(s, "(2:3 SMALLER 100000)", uid=True), [2, 3])
        size = len(msg("nodate").replace(b"\n", b"\r\n"))
        self.assertEqual(self.search(s, "LARGER", str(size - 1), "SMALLER", str(size + 1)), [5])
        # INTERNALDATE: one minute apart from 1790000060 (21 Sep 2026)
        self.assertEqual(self.search(s, "ON", "21-Sep-2026"), [1, 2, 3, 4, 5])
        self.assertEqual(self.search(s, "BEFORE", "21-Sep-2026"), [])
        st, u, tag = self.raw(s, "SEARCH NOSUCHKEY")
        self.assertTrue(st.startswith(b"BAD"), st)
        s.logout()


@unittest.skipUnless(os.path.exists(IMAPD), "yubin-imapd not built")
class ESearch(Base):
    def test_return_options_and_saved_result(self):
        for i in range(6):
            self.deliver(msg("match" if i in (1, 2, 4) else "other"))
        s = self.session()
        st, u, tag = self.raw(s, "SEARCH RETURN (MIN MAX COUNT ALL) SUBJECT match")
        self.assertTrue(st.startswith(b"OK"), st)
        self.assertEqual(u, [b'* ESEARCH (TAG "' + tag + b'") MIN 2 MAX 5 ALL 2:3,5 COUNT 3'])
        st, u, tag = self.raw(s, "UID SEARCH RETURN () SUBJECT match")
        self.assertEqual(u, [b'* ESEARCH (TAG "' + tag + b'") UID ALL 2:3,5'])
        st, u, tag = self.raw(s, "SEARCH RETURN (COUNT) SUBJECT nothing")
        self.assertEqual(u, [b'* ESEARCH (TAG "' + tag + b'") COUNT 0'])
        # SAVE alone answers nothing; "$" then stands for the result
        st, u, tag = self.raw(s, "SEARCH RETURN (SAVE) SUBJECT match")
        self.assertTrue(st.startswith(b"OK"), st)
        self.assertEqual(u, [])
        typ, data = s.fetch("$", "(UID)")
        self.assertEqual(typ, "OK")
        self.assertEqual([int(re.match(rb"(\d+)", d).group(1)) for d in data], [2, 3, 5])
        s.store("$", "+FLAGS", "(\\Flagged)")
        self.assertEqual(self.search(s, "FLAGGED"), [2, 3, 5])
        self.assertEqual(self.search(s, "NOT", "$"), [1, 4, 6])
        self.assertEqual(self.search(s, "UID", "$", uid=True), [2, 3, 5])
        # the saved result follows expunges, and the messages renumber
        s.store("2", "+FLAGS", "(\\Deleted)")
        s.expunge()
        typ, data = s.uid("FETCH", "$", "(UID)")
        self.assertEqual([int(re.search(rb"UID (\d+)", d).group(1)) for d in data], [3, 5])
        self.assertEqual(self.search(s, "$"), [2, 4])
        typ, data = s.copy("$", "Archive")
        self.assertEqual(typ, "OK")
        # MIN with SAVE keeps the minimum only
        self.raw(s, "SEARCH RETURN (MIN SAVE) SUBJECT match")
        self.assertEqual(self.search(s, "$"), [2])
        # SELECT forgets it
        s.select("INBOX")
        self.assertEqual(self.search(s, "$"), [])
        st, u, tag = self.raw(s, "SEARCH RETURN (BOGUS) ALL")
        self.assertTrue(st.startswith(b"BAD"), st)
        s.logout()


T0 = 1790000000     # arrivals (INTERNALDATE) are in Sep 2026, before every Date below


@unittest.skipUnless(os.path.exists(IMAPD), "yubin-imapd not built")
class Sort(Base):
    def fill(self):
        self.msgs = [
            (msg("Re: beta", frm="Zed <zed@example.org>", to="=?utf-8?q?=C3=89mile?= <emile@example.org>",
                 date="Mon, 23 Nov 2026 10:00:00 +0000", body="x" * 50 + "\n"), T0 + 400),
            (msg("alpha", frm="adam@example.org", date="Mon, 23 Nov 2026 09:00:00 -0200",
                 body="x" * 10 + "\n"), T0 + 100),
            (msg("=?utf-8?B?QmV0YQ==?=", frm="=?ISO-8859-1?Q?=C9ric?= <eric@example.org>",
                 body="x" * 40 + "\n"), T0 + 300),                                     # no Date
            (msg("[list] Fwd: Alpha (fwd)", frm="bob@example.org", cc="Carl <carl@example.org>",
                 date="Mon, 23 Nov 2026 10:00:00 +0000"), T0 + 200),                     # same date as 1
            (msg("gamma", frm="=?utf-8?q?=C3=9Cnal?= <yves@example.org>", date="someday"), T0 + 500),
        ]
        for data, t in self.msgs:
            self.deliver(data, arrival=t)

    def sort(self, s, crit, search="ALL", charset="UTF-8", uid=False):
        typ, data = s.uid("SORT", crit, charset, search) if uid else s.sort(crit, charset, search)
        self.assertEqual(typ, "OK", data)
        return [int(x) for x in data[0].split()]

    def test_orders(self):
        self.fill()
        s = self.session()
        typ, caps = s.capability()
        for c in (b"SORT", b"SORT=DISPLAY", b"ESORT", b"THREAD=REFERENCES", b"THREAD=ORDEREDSUBJECT", b"ESEARCH", b"SEARCHRES"):
            self.assertIn(c, caps[0].split())
        # base subjects: beta, alpha, beta (encoded), alpha ([list] Fwd: .. (fwd)), gamma
        self.assertEqual(self.sort(s, "(SUBJECT)"), [2, 4, 1, 3, 5])
        self.assertEqual(self.sort(s, "(SUBJECT DATE)"), [4, 2, 3, 1, 5])
        self.assertEqual(self.sort(s, "(SUBJECT REVERSE DATE)"), [2, 4, 1, 3, 5])
        # Date in UTC; no Date or an unparsable one: the arrival time
        self.assertEqual(self.sort(s, "(DATE)"), [3, 5, 1, 4, 2])
        self.assertEqual(self.sort(s, "(REVERSE DATE)"), [2, 1, 4, 5, 3])   # ties stay in sequence order
        self.assertEqual(self.sort(s, "(ARRIVAL)"), [2, 4, 3, 1, 5])
        self.assertEqual(self.sort(s, "(REVERSE ARRIVAL)"), [5, 1, 3, 4, 2])
        sizes = [len(d.replace(b"\n", b"\r\n")) for d, _ in self.msgs]
        self.assertEqual(self.sort(s, "(SIZE)"), sorted(range(1, 6), key=lambda i: (sizes[i - 1], i)))
        # addresses: the first mailbox's local part; DISPLAY: the decoded name, else the address
        self.assertEqual(self.sort(s, "(FROM)"), [2, 4, 3, 5, 1])
        self.assertEqual(self.sort(s, "(DISPLAYFROM)"), [2, 4, 1, 3, 5])
        self.assertEqual(self.sort(s, "(CC)"), [1, 2, 3, 5, 4])
        self.assertEqual(self.sort(s, "(TO)"), [1, 2, 3, 4, 5])
        self.assertEqual(self.sort(s, "(DISPLAYTO)"), [2, 3, 4, 5, 1])   # "you@..." before "émile"
        self.assertEqual(self.sort(s, "(SUBJECT)", search="NOT SUBJECT gamma", charset="US-ASCII"), [2, 4, 1, 3])
        # ESORT: MIN and MAX in the sort order, ALL in the sort order
        st, u, tag = self.raw(s, "SORT RETURN (MIN MAX COUNT ALL) (SUBJECT) UTF-8 ALL")
        self.assertEqual(u, [b'* ESEARCH (TAG "' + tag + b'") MIN 2 MAX 5 ALL 2,4,1,3,5 COUNT 5'])
        st, u, tag = self.raw(s, "UID SORT RETURN (ALL) (TO) UTF-8 ALL")
        self.assertEqual(u, [b'* ESEARCH (TAG "' + tag + b'") UID ALL 1:5'])
        st, u, tag = self.raw(s, "SORT RETURN (COUNT) (TO) UTF-8 SUBJECT nothing")
        self.assertEqual(u, [b'* ESEARCH (TAG "' + tag + b'") COUNT 0'])
        # UID SORT after an expunge
        s.store("2", "+FLAGS", "(\\Deleted)")
        s.expunge()
        self.assertEqual(self.sort(s, "(SUBJECT)"), [3, 1, 2, 4])
        self.assertEqual(self.sort(s, "(SUBJECT)", uid=True), [4, 1, 3, 5])
        typ, data = s.sort("(SUBJECT)", "ISO-8859-1", "ALL")
        self.assertEqual(typ, "NO")
        self.assertIn(b"BADCHARSET", data[0])
        st, u, tag = self.raw(s, "SORT (NOPE) UTF-8 ALL")
        self.assertTrue(st.startswith(b"BAD"), st)
        st, u, tag = self.raw(s, "SORT (SUBJECT) UTF-8 NOSUCHKEY")
        self.assertTrue(st.startswith(b"BAD"), st)
        s.logout()

    def test_empty_folder(self):
        s = self.session()
        typ, data = s.sort("(DATE)", "UTF-8", "ALL")
        self.assertEqual((typ, data), ("OK", [b""]))
        typ, data = s.thread("REFERENCES", "UTF-8", "ALL")
        self.assertEqual((typ, data), ("OK", [b""]))
        self.assertEqual(self.search(s, "SUBJECT", "x"), [])
        st, u, tag = self.raw(s, "SEARCH RETURN (COUNT MIN) SENTON 1-Jan-2026")
        self.assertEqual(u, [b'* ESEARCH (TAG "' + tag + b'") COUNT 0'])
        st, u, tag = self.raw(s, "SORT (DATE) UTF-8 BADKEY")
        self.assertTrue(st.startswith(b"BAD"), st)
        s.logout()


@unittest.skipUnless(os.path.exists(IMAPD), "yubin-imapd not built")
class Thread(Base):
    def fill(self):
        d = "Mon, 23 Nov 2026 %s +0000"
        self.deliver(msg("hello", date=d % "10:00:00", headers=("Message-ID: <a@x>",)))
        self.deliver(msg("Re: hello", date=d % "11:00:00", headers=("Message-ID: <b@x>", "References: <a@x>")))
        self.deliver(msg("Re: hello", date=d % "12:00:00",
                         headers=("Message-ID: <c@x>", "References: <a@x>\n <b@x>")))
        self.deliver(msg("RE: Hello", date=d % "10:30:00", headers=("Message-ID: <d@x>", "In-Reply-To: <a@x>")))
        self.deliver(msg("other", date=d % "09:00:00", headers=("Message-ID: <e@x>",)))
        self.deliver(msg("=?utf-8?q?Re=3A_other?=", date=d % "13:00:00", headers=("Message-ID: <f@x>",)))
        self.deliver(msg("Fwd: lost", date=d % "08:00:00", headers=("Message-ID: <g@x>", "References: <gone@x>")))

    def test_threads(self):
        self.fill()
        s = self.session()
        typ, data = s.thread("REFERENCES", "UTF-8", "ALL")
        self.assertEqual((typ, data), ("OK", [b"(7)(5 6)(1 (4)(2 3))"]))
        typ, data = s.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
        self.assertEqual((typ, data), ("OK", [b"(7)(5 6)(1 (4)(2)(3))"]))
        typ, data = s.uid("THREAD", "REFERENCES", "US-ASCII", "NOT", "4")
        self.assertEqual((typ, data), ("OK", [b"(7)(5 6)(1 2 3)"]))
        st, u, tag = self.raw(s, "THREAD NOSUCH UTF-8 ALL")
        self.assertTrue(st.startswith(b"BAD"), st)
        s.logout()


@unittest.skipUnless(ImapServer and all(os.path.exists(os.path.join(BUILD, p)) for p in PROGS), "IMAP not built")
class SortAfterLogin(ServiceCase):
    """The same commands through the real service: login stage, yubin-auth,
    yubin-imapd under the account's uid."""
    def test_sort_thread_esearch(self):
        addr, pw = "sorter@example.com", "pw-" + "z" * 10
        self.srv.add_account(addr, pw)
        self.srv.deliver(addr, msg("Re: zebra", headers=("Message-ID: <z2@x>", "References: <z1@x>"),
                                   date="Tue, 24 Nov 2026 10:00:00 +0000"))
        self.srv.deliver(addr, msg("=?utf-8?q?=C3=A4pfel?=", date="Mon, 23 Nov 2026 10:00:00 +0000"))
        self.srv.deliver(addr, msg("zebra", headers=("Message-ID: <z1@x>",), date="Sun, 22 Nov 2026 10:00:00 +0000"))
        m = imaplib.IMAP4("127.0.0.1", self.srv.port_stls, timeout=30)
        m.login(addr, pw)
        self.assertEqual(m.select("INBOX"), ("OK", [b"3"]))
        self.assertEqual(m.sort("(SUBJECT)", "UTF-8", "ALL"), ("OK", [b"1 3 2"]))   # "zebra" before "äpfel"
        self.assertEqual(m.sort("(DATE)", "UTF-8", "ALL"), ("OK", [b"3 2 1"]))
        self.assertEqual(m.thread("REFERENCES", "UTF-8", "ALL"), ("OK", [b"(3 1)(2)"]))
        typ, data = m.search("UTF-8", "SUBJECT", '"ÄPFEL"'.encode())
        self.assertEqual((typ, data), ("OK", [b"2"]))
        typ, data = m._simple_command("SEARCH", "RETURN", "(COUNT SAVE)", "SUBJECT", "zebra")
        self.assertEqual(typ, "OK")
        self.assertEqual(m.untagged_responses.pop("ESEARCH", None)[0].split(b")", 1)[1], b" COUNT 2")
        typ, data = m.fetch("$", "(UID)")
        self.assertEqual(len(data), 2)
        m.logout()


if __name__ == "__main__":
    unittest.main()
