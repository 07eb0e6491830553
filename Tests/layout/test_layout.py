"""The module layout as docs/architecture.md promises it, checked against Package.swift through
`swift package describe` (scripts/package_layout.py): the graph in the docs is the package's,
every import is declared, the shipped binary carries no lab, the policies read no clock, no
source file is a copy of another, and no Swift code uses Foundation.Process."""
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import package_layout  # noqa: E402

BALLAST_BIN = os.environ.get("BALLAST_BIN", str(ROOT / ".build" / "debug" / "ballast"))
PACKAGE = package_layout.describe()


def test_the_module_graph_in_the_docs_is_the_packages():
    text = (ROOT / "docs" / "architecture.md").read_text()
    begin, end = text.index(package_layout.MARK_BEGIN), text.index(package_layout.MARK_END)
    shown = text[begin + len(package_layout.MARK_BEGIN):end].strip()
    assert shown == package_layout.graph(PACKAGE), "regenerate it: scripts/package_layout.py graph"


def test_every_import_is_declared_and_every_declaration_imported():
    assert package_layout.check_imports(PACKAGE) == []


def test_the_shipped_binary_is_built_without_the_lab():
    modules = set(package_layout.product_modules(PACKAGE, "ballast"))
    assert {"Gateway", "Proxy", "ControlPlane"} <= modules
    assert not modules & {"BallastSimulator", "BallastTesting", "ballast-lab"}, modules


def test_ballast_help_lists_only_what_an_operator_runs():
    help_text = subprocess.run([BALLAST_BIN, "--help"], capture_output=True, text=True, timeout=30).stdout
    commands = set(re.findall(r"^  ([a-z][a-z-]+) ", help_text.split("SUBCOMMANDS:")[1], re.M))
    assert "serve" in commands and "status" in commands
    assert not commands & {"simulate", "demo", "bench"}, commands


# Which Swift modules may import each C library (tests aside). CShims serves the two whose
# variadic C calls it wraps; COpenSSL holds both of OpenSSL's libraries: libssl for Redis' TLS
# tunnel, libcrypto for digests and signatures; CBuildInfo is only the commit string; CSpawn is
# glibc's spawning extensions for the child processes of the tests and the lab.
C_LIBRARY_WRAPPERS = {
    "CCurl": {"Upstream"}, "CMicroHTTPD": {"HTTPServer"}, "CSQLite": {"SQLite"}, "CHiredis": {"Redis"},
    "CShims": {"Upstream", "HTTPServer"}, "COpenSSL": {"Redis", "Crypto"}, "CBuildInfo": {"ballast", "ballast-lab"},
    "CSpawn": {"BallastTesting"},
}


def test_each_c_library_is_wrapped_where_the_docs_say():
    c_targets = {t["name"] for t in PACKAGE["targets"] if t["module_type"] != "SwiftTarget"}
    users = {name: set() for name in c_targets}
    for target in PACKAGE["targets"]:
        if target["module_type"] == "SwiftTarget" and target["type"] != "test":
            for dependency in set(target.get("target_dependencies", [])) & c_targets:
                users[dependency].add(target["name"])
    assert users == C_LIBRARY_WRAPPERS


# What a policy must not do: read a clock or wait. Policies take the time as a value.
CLOCK_READS = re.compile(r"SystemClock\(|DispatchTime\.now|Date\(\)|ContinuousClock|SuspendingClock|clock_gettime|"
                         r"Thread\.sleep|usleep\(|Task\.sleep")


def test_policies_and_rules_read_no_clock():
    files = list((ROOT / "Sources" / "Resilience").rglob("*.swift")) + list((ROOT / "Sources" / "Rules").rglob("*.swift"))
    files.append(ROOT / "Sources" / "Proxy" / "Call" / "CallMachine.swift")
    offenders = [f"{path.relative_to(ROOT)}: {line.strip()}" for path in files
                 for line in path.read_text().splitlines()
                 if CLOCK_READS.search(line) and not line.strip().startswith("//")]
    assert offenders == []


def test_no_source_file_is_a_copy_of_another():
    seen = {}
    for path in sorted((ROOT / "Sources").rglob("*.swift")):
        # Compared without comments, blank lines and indentation, so a re-indented copy counts.
        lines = [line.strip() for line in path.read_text().splitlines()]
        body = "\n".join(line for line in lines if line and not line.startswith("//") and not line.startswith("import "))
        if body.count("\n") < 3:
            continue
        digest = hashlib.sha256(body.encode()).hexdigest()
        assert digest not in seen, f"{path.relative_to(ROOT)} repeats {seen[digest]}"
        seen[digest] = path.relative_to(ROOT)


# Foundation.Process crashes now and then in Process.run() (a memcpy past a readdir record in
# findMaximumOpenFromProcSelfFD, swift-corelibs-foundation PR #5472, not in Swift 6.3.1).
# Children are started by BallastTesting's ChildProcess until the toolchain has the fix.
FOUNDATION_PROCESS = re.compile(r"(?<![\w.])Process\b(?!Info)|\bFoundation\.Process\b")


def test_no_swift_code_uses_foundation_process():
    assert all(FOUNDATION_PROCESS.search(code) for code in ["let p = Process.init", "var p: Process", "Foundation.Process.run"])
    assert not any(FOUNDATION_PROCESS.search(code) for code in ["ProcessInfo.processInfo", "ChildProcess(", "BallastProcess("])
    offenders = []
    for path in sorted((ROOT / "Sources").rglob("*.swift")) + sorted((ROOT / "Tests").rglob("*.swift")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split(" //")[0]
            if not code.strip().startswith("//") and FOUNDATION_PROCESS.search(code):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], ("Foundation.Process crashes in Process.run() on this toolchain (swift-corelibs-foundation "
                             "PR #5472, not in Swift 6.3.1); start children with BallastTesting's ChildProcess:\n"
                             + "\n".join(offenders))
