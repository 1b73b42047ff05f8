"""The harness's Instance.stop leaves no process of the instance behind,
even when s6-svscan could not stop its services itself (the supervisors
killed as on a stop time-out, or a process whose parent is gone)."""
import os, shutil, signal, subprocess, time, unittest

from yubintest import Instance, instance_pids


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class InstanceStop(unittest.TestCase):
    def test_supervisors_killed_services_and_loggers_still_end(self):
        with Instance(services=["smtpd"]) as inst:
            smtpd = inst.pid("smtpd")
            self.assertTrue(smtpd and alive(smtpd))
            before = instance_pids(inst.dir)
            # the s6-log of the service runs in service/smtpd/log
            self.assertIn(smtpd, before)
            self.assertGreaterEqual(len(before), 4, before)   # supervise x2, smtpd, s6-log
            # what stop() did on a time-out: only s6-svscan's process group dies;
            # the services and loggers, in sessions of their own, are orphaned
            os.killpg(inst.svscan.pid, signal.SIGKILL)
            inst.svscan.wait()
            time.sleep(0.2)
            orphans = [p for p in before if alive(p)]
            self.assertIn(smtpd, orphans)
            inst.svscan = None
            inst.stop()
            self.assertEqual([p for p in before if alive(p)], [])
            self.assertEqual(instance_pids(inst.dir), [])

    def test_a_detached_child_of_the_instance_is_ended(self):
        with Instance(services=[]) as inst:
            prog = inst.path("bin", "sleeper")
            shutil.copy("/bin/sleep", prog)
            # started as a service's grandchild would be: its own session,
            # no parent that waits for it
            p = subprocess.Popen(["/bin/sh", "-c", f"{prog} 300 </dev/null >/dev/null 2>&1 & echo $!"], cwd="/",
                                 stdout=subprocess.PIPE, text=True, start_new_session=True)
            pid = int(p.stdout.read().strip())
            p.wait()
            self.assertTrue(alive(pid))
            self.assertIn(pid, instance_pids(inst.dir))
            inst.stop()
            self.assertFalse(alive(pid))


if __name__ == "__main__":
    unittest.main()
