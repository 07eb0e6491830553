#!/usr/bin/env python3
"""`make dist`: the self-contained tarball dist/ballast-VERSION-linux-ARCH.tar.gz.

It holds the release binary (Swift's runtime and Foundation linked in statically), the
shipped rule files, the Prometheus alerts, the Grafana dashboard, the systemd unit, the
deployment guide and a README that names the system libraries the binary still loads and
the Debian packages that provide them (read off this machine with ldd and dpkg, so the list
is the binary's own). bin/ballast is a small launcher that checks those libraries first and
says which packages are missing, instead of the loader's bare "cannot open shared object
file"; lib/ballast/ballast is the binary itself.

The archive is reproducible: entries sorted, owner root, times set to the commit's.

Usage: build_dist.py --binary PATH --version V --commit C --output DIR
"""
import gzip
import io
import os
import platform
import subprocess
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from artefacts import ROOT, arguments, commit_epoch, shared_objects  # noqa: E402

LAUNCHER = """#!/bin/sh
# Ballast's launcher: checks the shared libraries the binary loads, then runs it.
# BALLAST_SKIP_LIBRARY_CHECK=1 skips the check (it costs one ldd, a few milliseconds).
here=$(dirname "$(readlink -f "$0")")
binary="$here/../lib/ballast/ballast"
if [ -z "$BALLAST_SKIP_LIBRARY_CHECK" ] && command -v ldd >/dev/null 2>&1; then
    missing=$(ldd "$binary" 2>/dev/null | awk '/not found/ {print $1}')
    if [ -n "$missing" ]; then
        echo "ballast: missing shared libraries:" $missing >&2
        echo "ballast: on Debian 12 or Ubuntu 22.04 install them with:" >&2
        echo "    sudo apt-get install @PACKAGES@" >&2
        exit 127
    fi
fi
exec "$binary" "$@"
"""


def package_of(path: str) -> str:
    """The Debian package that ships `path` (through its symlinks, as dpkg knows them)."""
    for candidate in (path, os.path.realpath(path), path.replace("/usr/lib/", "/lib/"), path.replace("/lib/", "/usr/lib/", 1)):
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":")[0].strip()
    return "?"


def needed(binary: Path) -> list:
    """The sonames the binary names itself (ELF NEEDED): what the system must provide. The
    libraries those load in turn come with their packages."""
    out = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True, check=True).stdout
    return [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]


def readme(version: str, commit: str, arch: str, direct: list, packages: list) -> str:
    rows = "\n".join(f"| `{soname}` | `{package}` |" for soname, package in direct)
    return f"""# Ballast {version} for Linux {arch}

Built from commit {commit} on Debian 12 with Swift's standard library and Foundation linked in
statically: no Swift toolchain is needed to run it.

    bin/ballast --version
    bin/ballast config check --config ballast.yaml
    bin/ballast serve --config ballast.yaml

## What it needs from the system

The shared libraries the binary names, loaded from the system (Debian 12 and Ubuntu 22.04
ship these versions; `bin/ballast` checks them at start and names what is missing):

| library | Debian package |
|---|---|
{rows}

Install them, and the libraries they load in turn, with

    sudo apt-get install {" ".join(packages)}

## What is here

| path | what |
|---|---|
| `bin/ballast` | the launcher: checks the libraries above, then runs `lib/ballast/ballast` |
| `lib/ballast/ballast` | the binary |
| `share/ballast/rules/` | the shipped rule files (`rules.paths` in the config) |
| `share/ballast/prometheus/` | Prometheus alerting rules for Ballast's own metrics |
| `share/ballast/dashboards/` | the Grafana dashboard |
| `share/ballast/systemd/ballast.service` | a hardened systemd unit |
| `share/doc/ballast/` | the deployment guide (deploy.md) and the configuration reference |

Install system-wide, as the unit expects:

    sudo cp -r . /usr/local/ballast-{version}
    sudo ln -sf /usr/local/ballast-{version}/bin/ballast /usr/local/bin/ballast

See share/doc/ballast/deploy.md for the tarball, container, Kubernetes and systemd ways.
"""


def main() -> None:
    args = arguments("--binary", "the release binary")
    binary = Path(args.binary)
    arch = {"x86_64": "x86_64", "aarch64": "aarch64"}.get(platform.machine(), platform.machine())
    name = f"ballast-{args.version}-linux-{arch}"
    loader, libraries = shared_objects(binary)
    resolved = dict(libraries)
    # The loader is named by its path, not resolved by ldd's "=>" lines.
    direct = [(soname, package_of(resolved.get(soname, loader or soname))) for soname in needed(binary)]
    packages = sorted({package for _, package in direct} - {"?"})
    # Debug information out (a third of the size), the symbol table kept for backtraces.
    stripped = Path(args.output) / "ballast.stripped"
    Path(args.output).mkdir(parents=True, exist_ok=True)
    subprocess.run(["strip", "--strip-debug", "-o", str(stripped), str(binary)], check=True)
    epoch = commit_epoch()

    files = {  # path in the archive -> (bytes, mode)
        "bin/ballast": (LAUNCHER.replace("@PACKAGES@", " ".join(packages)).encode(), 0o755),
        "lib/ballast/ballast": (stripped.read_bytes(), 0o755),
        "README.md": (readme(args.version, args.commit, arch, direct, packages).encode(), 0o644),
        "share/ballast/systemd/ballast.service": ((ROOT / "deploy/systemd/ballast.service").read_bytes(), 0o644),
        "share/doc/ballast/deploy.md": ((ROOT / "docs/deploy.md").read_bytes(), 0o644),
        "share/doc/ballast/configuration.md": ((ROOT / "docs/configuration.md").read_bytes(), 0o644),
    }
    for path in sorted((ROOT / "rules").glob("*.yaml")) + [ROOT / "rules/README.md"]:
        files[f"share/ballast/rules/{path.name}"] = (path.read_bytes(), 0o644)
    for path in sorted((ROOT / "rules/prometheus").glob("*.yml")):
        files[f"share/ballast/prometheus/{path.name}"] = (path.read_bytes(), 0o644)
    for path in sorted((ROOT / "dashboards").iterdir()):
        if path.is_file():
            files[f"share/ballast/dashboards/{path.name}"] = (path.read_bytes(), 0o644)

    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    target = output / f"{name}.tar.gz"
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        directories = set()
        for path in files:
            parent = Path(name, path).parent
            while str(parent) != ".":
                directories.add(str(parent))
                parent = parent.parent
        for directory in sorted(directories):
            info = tarfile.TarInfo(directory)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, epoch
            tar.addfile(info)
        for path in sorted(files):
            data, mode = files[path]
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size, info.mode, info.mtime = len(data), mode, epoch
            tar.addfile(info, io.BytesIO(data))
    with open(target, "wb") as out, gzip.GzipFile(fileobj=out, mode="wb", mtime=epoch, filename="") as gz:
        gz.write(raw.getvalue())
    (output / "packages.txt").write_text(" ".join(packages) + "\n")
    stripped.unlink()
    print(f"{target} ({target.stat().st_size / 1e6:.1f} MB); needs: {' '.join(packages)}")


if __name__ == "__main__":
    main()
