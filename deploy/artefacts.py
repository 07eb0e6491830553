"""What the dist and image builders share: their command line, the commit's time (every
timestamp in both archives, so a rebuild of one commit gives the same bytes) and the shared
libraries `ldd` resolves for the binary."""
import argparse
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def arguments(source: str, help: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument(source, required=True, help=help)
    for name in ("--version", "--commit", "--output"):
        parser.add_argument(name, required=True)
    return parser.parse_args()


def commit_epoch() -> int:
    result = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"], capture_output=True, text=True)
    return int(result.stdout.strip() or 0)


def shared_objects(binary: Path) -> tuple:
    """(the dynamic loader's path or None, [(soname, resolved path)]) as `ldd` reports them;
    a library it cannot find stops the build."""
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout
    loader, found = None, []
    for line in out.splitlines():
        parts = line.split()
        if "=>" in parts and len(parts) >= 3 and parts[2].startswith("/"):
            found.append((parts[0], parts[2]))
        elif parts and parts[0].startswith("/"):
            loader = parts[0]
    if "not found" in out:
        raise SystemExit(f"ldd could not resolve every library of {binary}:\n{out}")
    return loader, found
