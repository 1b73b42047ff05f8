"""testssl.sh (Debian's testssl.sh) against SMTPS (465, implicit TLS) and
submission (587, STARTTLS): no SSLv2/3, TLS 1.0 or 1.1; no NULL, aNULL,
EXPORT, LOW or RC4 suites; forward secrecy.  Prints the findings summary."""
import json, os, subprocess, tempfile, unittest

from yubintest import Instance

MUST = {
    "SSLv2": "not offered", "SSLv3": "not offered", "TLS1": "not offered", "TLS1_1": "not offered",
    "TLS1_2": "offered", "cipherlist_NULL": "not offered", "cipherlist_aNULL": "not offered",
    "cipherlist_EXPORT": "not offered", "cipherlist_LOW": "not offered", "PFS": "offered",
}


class TestSSL(unittest.TestCase):
    def test_tls_configuration(self):
        with Instance() as inst, tempfile.TemporaryDirectory() as tmp:
            runs = {}
            for name, port, extra in (("smtps", 2465, []), ("submission", 2587, ["-t", "smtp"])):
                out = os.path.join(tmp, name + ".json")
                runs[name] = (out, subprocess.Popen(
                    ["testssl", "--quiet", "--nodns", "none", "--warnings", "off", "--color", "0",
                     "-p", "-s", "-f", "-U", *extra, "--jsonfile", out, f"127.0.0.1:{port + inst.port_offset}"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp))
            for name, (out, proc) in runs.items():
                proc.wait(timeout=900)
                with open(out) as f:
                    findings = {x["id"]: x for x in json.load(f)}
                print(f"\ntestssl.sh {name}:")
                for key in list(MUST) + ["RC4", "PFS_ciphers", "PFS_ECDHE_curves", "heartbleed", "ROBOT",
                                         "SWEET32", "LOGJAM", "BEAST", "POODLE_SSL"]:
                    if key in findings:
                        print(f"  {key:18} {findings[key]['severity']:6} {findings[key]['finding']}")
                for key, want in MUST.items():
                    with self.subTest(service=name, finding=key):
                        self.assertIn(key, findings)
                        self.assertTrue(findings[key]["finding"].startswith(want), findings[key])
                self.assertEqual(findings["RC4"]["severity"], "OK", findings["RC4"])
                bad = [x for x in findings.values() if x["severity"] in ("HIGH", "CRITICAL")]
                self.assertEqual(bad, [])


if __name__ == "__main__":
    unittest.main()
