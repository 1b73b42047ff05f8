"""Crash test: 300 messages injected by 20 concurrent sendmail callers while
yubin-send, yubin-local (and the rest of the `send` service's group) are killed
with SIGKILL at random moments.  After s6 has restarted them, every message
whose sendmail exited 0 must be in its Maildir.  Duplicates are allowed (a lost
"done" mark may deliver twice); they are counted and printed."""
import os, random, signal, threading, time, unittest

from yubintest import Instance, bin_processes

N_MESSAGES = 300
N_SENDERS = 20
KILL_SECONDS = 6
VICTIMS = {"yubin-send", "yubin-local", "yubin-start", "yubin-lspawn", "yubin-clean"}


def group_pids(root):
    """(pid, name) of the send group's programs running now"""
    return [(pid, name) for name, ps in bin_processes(root).items() if name in VICTIMS for _, _, pid in ps]


class CrashTest(unittest.TestCase):
    def test_kill_during_injection_loses_nothing(self):
        with Instance() as inst:
            inst.ctl("domain", "add", "crash.example")
            for n in range(5):
                inst.add_account(f"box{n}@crash.example")
            accepted = []
            refused = []
            lock = threading.Lock()
            done = threading.Event()
            kills = []

            def sender(k):
                for i in range(k, N_MESSAGES, N_SENDERS):
                    box = f"box{i % 5}"
                    msg = f"Subject: crash {i}\nX-Crash-Id: crash-{i}\n\nmessage {i}\n"
                    p = inst.sendmail([f"{box}@crash.example"], msg, check=False)
                    with lock:
                        (accepted if p.returncode == 0 else refused).append((i, box))

            def killer():
                t0 = time.time()
                while time.time() - t0 < KILL_SECONDS or not done.is_set():
                    if time.time() - t0 > 30:
                        break
                    time.sleep(random.uniform(0.1, 0.5))
                    pids = group_pids(inst.dir)
                    if not pids:
                        continue
                    pid, name = random.choice(pids)
                    try:
                        os.kill(pid, signal.SIGKILL)
                        kills.append(name)
                    except OSError:
                        pass

            kt = threading.Thread(target=killer)
            kt.start()
            threads = [threading.Thread(target=sender, args=(k,)) for k in range(N_SENDERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            done.set()
            kt.join()
            self.assertTrue(kills, "nothing was killed")

            def delivered():
                seen = {}
                for n in range(5):
                    for f in inst.maildir_files("crash.example", f"box{n}"):
                        with open(f, "rb") as fh:
                            for line in fh:
                                if line.startswith(b"X-Crash-Id:"):
                                    key = (line.split()[1].decode(), f"box{n}")
                                    seen[key] = seen.get(key, 0) + 1
                                    break
                                if line in (b"\n", b"\r\n"):
                                    break
                return seen

            want = {(f"crash-{i}", box) for i, box in accepted}
            t0 = time.time()
            while time.time() - t0 < 120:
                seen = delivered()
                if want <= set(seen):
                    break
                time.sleep(0.5)
            seen = delivered()
            missing = sorted(want - set(seen))
            dups = sum(c - 1 for c in seen.values())
            print(f"\ncrash test: {len(accepted)} accepted, {len(refused)} refused by sendmail, "
                  f"{len(kills)} kills ({', '.join(sorted(set(kills)))}), "
                  f"{len(missing)} missing, {dups} duplicates")
            self.assertGreater(len(accepted), N_MESSAGES // 2)
            self.assertEqual(missing, [], inst.log("send")[-5000:])


if __name__ == "__main__":
    unittest.main()
