"""The dist tarball and the OCI image layout that `make test-deploy` builds (BALLAST_DIST,
BALLAST_OCI): the tarball holds what it promises and names the commit; the image, unpacked by
umoci and run by runc as its config says (user, entrypoint), serves a Messages request to a
simulated region on loopback and stops cleanly on SIGTERM."""
import json
import os
import signal
import subprocess
import tarfile
import time
from pathlib import Path

import anthropic
import httpx
import pytest

from deploy_support import BALLAST_BIN, BALLAST_LAB_BIN, ROOT, tool

DIST = os.environ.get("BALLAST_DIST")
OCI = os.environ.get("BALLAST_OCI")
COMMIT = os.environ.get("BALLAST_COMMIT")
if not (DIST and OCI):
    pytest.skip("BALLAST_DIST and BALLAST_OCI: run by `make test-deploy`", allow_module_level=True)

VERSION = Path(OCI).name.removeprefix("ballast-").removesuffix("-oci")
SIM_KEY = "sk-sim-image"


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("dist")
    with tarfile.open(DIST) as tar:
        tar.extractall(directory, filter="tar")
    (top,) = directory.iterdir()
    return top


def test_the_tarball_holds_what_it_promises(unpacked):
    for path in ["bin/ballast", "lib/ballast/ballast", "README.md", "share/ballast/prometheus/ballast-alerts.yml",
                 "share/ballast/dashboards/ballast-overview.json", "share/ballast/systemd/ballast.service",
                 "share/doc/ballast/deploy.md"]:
        assert (unpacked / path).is_file(), path
    rules = sorted(p.name for p in (unpacked / "share/ballast/rules").glob("*.yaml"))
    assert rules == sorted(p.name for p in (ROOT / "rules").glob("*.yaml"))
    size = Path(DIST).stat().st_size
    print(f"\n{Path(DIST).name}: {size / 1e6:.1f} MB")
    assert size < 60e6
    # Swift's runtime is inside; what is loaded from the system is in the README.
    linked = subprocess.run(["ldd", str(unpacked / "lib/ballast/ballast")], capture_output=True, text=True).stdout
    assert "libswiftCore" not in linked and "libFoundation" not in linked, linked
    readme = (unpacked / "README.md").read_text()
    packages = (Path(DIST).parent / "packages.txt").read_text().split()
    assert {"libcurl4", "libsqlite3-0", "libmicrohttpd12", "libhiredis0.14", "libssl3"} <= set(packages), packages
    assert "sudo apt-get install " + " ".join(packages) in readme


def test_version_names_the_commit(unpacked):
    result = subprocess.run([str(unpacked / "bin/ballast"), "--version"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"ballast {VERSION} (commit {COMMIT})\n"


def test_the_launcher_names_missing_libraries(unpacked, tmp_path):
    # An ldd that reports libhiredis missing stands in for a machine without the package.
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ldd").write_text("#!/bin/sh\necho '\tlibhiredis.so.0.14 => not found'\n")
    (fake / "ldd").chmod(0o755)
    result = subprocess.run([str(unpacked / "bin/ballast"), "--version"], capture_output=True, text=True, timeout=30,
                            env={"PATH": f"{fake}:/usr/bin:/bin"})
    assert result.returncode == 127
    assert "ballast: missing shared libraries: libhiredis.so.0.14" in result.stderr
    assert "sudo apt-get install" in result.stderr and "libhiredis0.14" in result.stderr


def wait_for(path: Path, process: subprocess.Popen, timeout=30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > 0:
            return json.loads(path.read_text())
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        time.sleep(0.05)
    raise TimeoutError(f"{path} did not appear")


def test_the_image_serves_a_messages_request(tmp_path):
    # umoci checks every digest and applies the layer as the image says.
    bundle = tmp_path / "bundle"
    unpack = subprocess.run([tool("umoci"), "unpack", "--image", f"{OCI}:{VERSION}", str(bundle)],
                            capture_output=True, text=True, timeout=120)
    assert unpack.returncode == 0, unpack.stderr
    rootfs = bundle / "rootfs"
    state = rootfs / "var/lib/ballast"
    assert state.stat().st_uid == 65532 and (rootfs / "usr/local/bin/ballast").is_file()
    image_config = json.loads((bundle / "config.json").read_text())
    assert image_config["process"]["user"]["uid"] == 65532
    assert image_config["process"]["args"] == ["/usr/local/bin/ballast", "serve", "--config", "/etc/ballast/ballast.yaml"]

    # A simulated region on the host's loopback.
    sim_config = tmp_path / "sim.yaml"
    sim_config.write_text(f"""
seed: 3
regions:
  - name: primary
    listen: 127.0.0.1:0
    api_key: {SIM_KEY}
    latency: {{ first_byte: {{ median: 10ms, spread: 0.1 }}, token_interval: 1ms }}
    output: {{ min_tokens: 10, max_tokens: 20 }}
""")
    sim_ready = tmp_path / "sim.ready.json"
    sim = subprocess.Popen([BALLAST_LAB_BIN, "simulate", "--config", str(sim_config), "--ready-file", str(sim_ready)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    container = f"ballast-test-{os.getpid()}"
    runc = tool("runc")
    try:
        primary = wait_for(sim_ready, sim)["regions"]["primary"]
        (rootfs / "etc/ballast/test.yaml").write_text(f"""
listen: 127.0.0.1:0
admin: {{ listen: 127.0.0.1:0, probe_listen: 127.0.0.1:0 }}
store: {{ path: /var/lib/ballast/ballast.db }}
log: {{ format: json, access: true }}
upstream:
  auth: {{ mode: static, api_key_env: UPSTREAM_KEY }}
  regions:
    - {{ name: primary, base_url: "{primary}" }}
rules:
  paths: ["/usr/local/share/ballast/rules/*.yaml"]
""")
        # The image's process, with the test config; the host's network (the simulator is on
        # its loopback), no terminal, and no cgroup settings (this machine has cgroup v1).
        process = image_config["process"]
        process["args"] = process["args"][:3] + ["/etc/ballast/test.yaml", "--ready-file", "/var/lib/ballast/ready.json"]
        process["env"] = process.get("env", []) + [f"UPSTREAM_KEY={SIM_KEY}"]
        process["terminal"] = False
        linux = image_config["linux"]
        linux["namespaces"] = [n for n in linux["namespaces"] if n["type"] not in ("network", "cgroup")]
        linux.pop("resources", None)
        image_config["mounts"] = [m for m in image_config["mounts"] if m["destination"] != "/sys/fs/cgroup"]
        (bundle / "config.json").write_text(json.dumps(image_config))
        log = open(tmp_path / "container.log", "w")
        started = time.monotonic()
        run = subprocess.Popen([runc, "run", "--bundle", str(bundle), container], stdout=log, stderr=subprocess.STDOUT)
        ready = wait_for(state / "ready.json", run)
        print(f"\nthe image served after {time.monotonic() - started:.2f} s")

        client = anthropic.Anthropic(base_url="http://" + ready["proxy"], api_key="sk-client", max_retries=0, timeout=30)
        raw = client.messages.with_raw_response.create(model="claude-sonnet-4-6", max_tokens=50,
                                                       messages=[{"role": "user", "content": "Hello from the image"}])
        message = raw.parse()
        assert message.content[0].text and message.usage.output_tokens > 0
        assert raw.headers["x-ballast-region"] == "primary"
        assert httpx.get("http://" + ready["probe"] + "/readyz", timeout=5).status_code == 200

        subprocess.run([runc, "kill", container, "TERM"], check=True, timeout=30)
        assert run.wait(timeout=30) == 0
        log.close()
        lines = (tmp_path / "container.log").read_text().splitlines()
        access = [json.loads(line) for line in lines if '"message":"request"' in line]
        assert len(access) == 1 and access[0]["status"] == 200, lines
        # It ran as the image's user: the store it wrote belongs to 65532.
        assert (state / "ballast.db").stat().st_uid == 65532
    finally:
        subprocess.run([runc, "delete", "--force", container], capture_output=True, timeout=30)
        sim.send_signal(signal.SIGINT)
        sim.wait(timeout=15)
