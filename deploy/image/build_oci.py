#!/usr/bin/env python3
"""`make image` where no container builder runs (no daemon, no registry): an OCI image
layout, written directly, from the dist tarball and the shared libraries its binary loads.

The image is "from scratch": the binary at /usr/local/bin/ballast, the shipped rules, the
default config (deploy/image/ballast.yaml), the libraries `ldd` lists (copied from this
Debian 12 machine, where the binary was built) with the dynamic loader, CA certificates for
HTTPS upstreams, and a user 65532 that owns /var/lib/ballast. It is what the Containerfile's
runtime stage holds, minus a shell and a package manager.

Output: DIR/ballast-VERSION-oci/ (the layout: oci-layout, index.json, blobs/) and
DIR/ballast-VERSION-oci.tar (the same as one file, for `skopeo copy oci-archive:...` or
`podman load`). Reproducible: sorted entries, root-owned but for the state directory, times
set to the commit's.

Usage: build_oci.py --tarball dist/ballast-V-linux-ARCH.tar.gz --version V --commit C --output dist
"""
import datetime
import gzip
import hashlib
import io
import json
import os
import platform
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from artefacts import ROOT, arguments, commit_epoch, shared_objects  # noqa: E402
USER = 65532
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


class Layer:
    """A deterministic layer tar, built in memory."""

    def __init__(self, epoch: int):
        self.raw = io.BytesIO()
        self.tar = tarfile.open(fileobj=self.raw, mode="w", format=tarfile.PAX_FORMAT)
        self.epoch = epoch
        self.entries = {}

    def directory(self, path: str, mode=0o755, owner=0):
        self.entries[path] = ("dir", None, mode, owner)

    def file(self, path: str, data: bytes, mode=0o644):
        self.entries[path] = ("file", data, mode, 0)

    def symlink(self, path: str, target: str):
        self.entries[path] = ("link", target, 0o777, 0)

    def close(self) -> bytes:
        # Parents first, each entry once, in path order.
        for path in list(self.entries):
            parent = os.path.dirname(path)
            while parent not in ("", "/") and parent not in self.entries:
                self.entries[parent] = ("dir", None, 0o755, 0)
                parent = os.path.dirname(parent)
        for path in sorted(self.entries):
            kind, payload, mode, owner = self.entries[path]
            info = tarfile.TarInfo(path.lstrip("/"))
            info.mode, info.mtime, info.uid, info.gid = mode, self.epoch, owner, owner
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                self.tar.addfile(info)
            elif kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, payload
                self.tar.addfile(info)
            else:
                info.size = len(payload)
                self.tar.addfile(info, io.BytesIO(payload))
        self.tar.close()
        return self.raw.getvalue()


def add_library(layer: Layer, path: str):
    """The library at its real path under /usr (merged /usr, as Debian 12 lays it out) and the
    name the loader asks for as a symlink to it."""
    real = os.path.realpath(path)
    in_usr = real if real.startswith("/usr/") else "/usr" + real
    layer.file(in_usr, Path(real).read_bytes(), 0o755)
    asked = path if path.startswith("/usr/") else "/usr" + path
    if asked != in_usr:
        layer.symlink(asked, os.path.basename(in_usr) if os.path.dirname(asked) == os.path.dirname(in_usr) else in_usr)


def blob(directory: Path, data: bytes, media_type: str) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    (directory / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (directory / "blobs" / "sha256" / digest).write_bytes(data)
    return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}


def canonical(document: dict) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def main() -> None:
    args = arguments("--tarball", "the dist tarball")
    epoch = commit_epoch()

    with tempfile.TemporaryDirectory() as work:
        with tarfile.open(args.tarball) as tar:
            tar.extractall(work, filter="data")
        (top,) = Path(work).iterdir()
        binary = top / "lib" / "ballast" / "ballast"
        loader, found = shared_objects(binary)
        if loader is None:
            raise SystemExit(f"{binary} names no dynamic loader")
        libs = [path for _, path in found]

        layer = Layer(epoch)
        # Merged /usr, as on Debian 12: the loader path in the binary is /lib64/ld-linux-x86-64.so.2.
        layer.symlink("/bin", "usr/bin")
        layer.symlink("/lib", "usr/lib")
        if ARCH == "amd64":
            layer.symlink("/lib64", "usr/lib64")
        add_library(layer, loader)
        for lib in libs:
            add_library(layer, lib)
        layer.file("/usr/local/bin/ballast", binary.read_bytes(), 0o755)
        for path in sorted((top / "share" / "ballast").rglob("*")):
            if path.is_file():
                layer.file("/usr/local/share/ballast/" + str(path.relative_to(top / "share" / "ballast")), path.read_bytes())
        layer.file("/etc/ballast/ballast.yaml", (ROOT / "deploy" / "image" / "ballast.yaml").read_bytes())
        layer.file("/etc/passwd", f"root:x:0:0:root:/root:/sbin/nologin\nballast:x:{USER}:{USER}:ballast:/var/lib/ballast:/sbin/nologin\n".encode())
        layer.file("/etc/group", f"root:x:0:\nballast:x:{USER}:\n".encode())
        layer.file("/etc/ssl/certs/ca-certificates.crt", Path("/etc/ssl/certs/ca-certificates.crt").read_bytes())
        layer.directory("/tmp", 0o1777)
        layer.directory("/var/lib/ballast", 0o700, USER)
        tar_bytes = layer.close()

    output = Path(args.output)
    layout = output / f"ballast-{args.version}-oci"
    shutil.rmtree(layout, ignore_errors=True)
    layout.mkdir(parents=True)
    compressed = io.BytesIO()
    with gzip.GzipFile(fileobj=compressed, mode="wb", mtime=epoch, filename="") as gz:
        gz.write(tar_bytes)
    layer_descriptor = blob(layout, compressed.getvalue(), "application/vnd.oci.image.layer.v1.tar+gzip")
    created = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    labels = {"org.opencontainers.image.title": "ballast", "org.opencontainers.image.version": args.version,
              "org.opencontainers.image.revision": args.commit}
    config = {
        "architecture": ARCH, "os": "linux", "created": created,
        "config": {
            "User": f"{USER}:{USER}",
            "Entrypoint": ["/usr/local/bin/ballast"],
            "Cmd": ["serve", "--config", "/etc/ballast/ballast.yaml"],
            "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"],
            "WorkingDir": "/var/lib/ballast",
            "ExposedPorts": {"8080/tcp": {}, "9091/tcp": {}},
            "StopSignal": "SIGTERM",
            "Labels": labels,
        },
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar_bytes).hexdigest()]},
        "history": [{"created": created, "created_by": "deploy/image/build_oci.py " + args.version}],
    }
    config_descriptor = blob(layout, canonical(config), "application/vnd.oci.image.config.v1+json")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": config_descriptor, "layers": [layer_descriptor], "annotations": labels}
    manifest_descriptor = blob(layout, canonical(manifest), "application/vnd.oci.image.manifest.v1+json")
    manifest_descriptor["annotations"] = {"org.opencontainers.image.ref.name": args.version}
    manifest_descriptor["platform"] = {"architecture": ARCH, "os": "linux"}
    (layout / "index.json").write_bytes(canonical({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                                                  "manifests": [manifest_descriptor]}))
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    archive = output / f"ballast-{args.version}-oci.tar"
    with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(layout.rglob("*")):
            info = tar.gettarinfo(str(path), str(path.relative_to(layout)))
            info.mtime, info.uid, info.gid, info.uname, info.gname = epoch, 0, 0, "", ""
            if path.is_file():
                with open(path, "rb") as data:
                    tar.addfile(info, data)
            else:
                tar.addfile(info)
    print(f"{layout} (layer {layer_descriptor['size'] / 1e6:.1f} MB compressed, {len(tar_bytes) / 1e6:.1f} MB unpacked; "
          f"{len(libs)} libraries); {archive}")


if __name__ == "__main__":
    main()
