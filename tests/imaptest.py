"""Shared pieces of the IMAP session tests: a Maildir in a temporary
directory and pre-authenticated yubin-imapd sessions on it, driven by
Python's imaplib over a pipe (IMAP4_stream)."""
import imaplib, os, shutil, tempfile, unittest

from yubintest import BUILD

IMAPD = os.path.join(BUILD, "yubin-imapd")


class MaildirCase(unittest.TestCase):
    """setUp makes self.md (cur/, new/, tmp/); tearDown ends every session
    and removes it all."""
    select_inbox = False      # session() selects INBOX first

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="yubin-imap-")
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

    def deliver(self, data, folder=None, arrival=None):
        """Delivers as a Maildir program does (tmp/, then new/), into INBOX
        or the folder; arrival (seconds since the epoch) becomes the
        INTERNALDATE."""
        self.n += 1
        md = self.md if folder is None else os.path.join(self.md, "." + folder)
        name = "%d.M%dP1Q%d.test,S=%d" % (1700000000 + self.n, self.n, self.n, len(data))
        path = os.path.join(md, "tmp", name)
        with open(path, "wb") as f:
            f.write(data)
        if arrival is not None:
            os.utime(path, (arrival, arrival))
        os.rename(path, os.path.join(md, "new", name))

    def session(self):
        os.environ["MAILDIR"] = self.md
        s = imaplib.IMAP4_stream(IMAPD)
        self.sessions.append(s)
        if self.select_inbox:
            self.assertEqual(s.select("INBOX")[0], "OK")
        return s
