"""Offline for real: the CLI and the app, with the network unplugged, try no connection and write only the cache.

The programs run as a user runs them (fresh cache, the ONNX export made on the
way, no offline variables set by anyone but the package itself) inside a
network namespace with only loopback (``unshare -rn``, where it works), under
``strace``, which sees every ``connect``/``sendto``/``sendmsg`` of every
thread and child, native code included (ONNX Runtime's telemetry resolved its
host from C++, invisible to Python). Where ``strace`` cannot run, a Python
audit hook (``sys.addaudithook`` via ``sitecustomize``) records the Python
side instead. Loopback is allowed: the app serves on it and the test asks it
there. HOME and TMPDIR point at empty folders that must stay empty.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import PROJECT

pytestmark = pytest.mark.model

# Variables the package must set by itself: none may come from this test process.
SET_BY_THE_PACKAGE = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "ORT_DISABLE_TELEMETRY", "GRADIO_ANALYTICS_ENABLED",
                      "HF_HUB_DISABLE_TELEMETRY", "GRADIO_TEMP_DIR", "TORCHINDUCTOR_CACHE_DIR", "DISABLE_TELEMETRY")
# ONNX Runtime's telemetry first resolved its host ~9 s after the session was made: the app stays up past that.
APP_SECONDS = 14

DRIVER = textwrap.dedent('''
    """Run inside the namespace: loopback up, the CLI two or three times, the app (with its MCP server) asked
    once over loopback."""
    import fcntl, json, os, socket, struct, subprocess, sys, time, urllib.request

    if sys.argv[2] == "netns":  # a fresh namespace has loopback down: bring it up (SIOCGIFFLAGS/SIOCSIFFLAGS)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, struct.pack("16sH", b"lo", 0))[:18])[1]
        fcntl.ioctl(s, 0x8914, struct.pack("16sH", b"lo", flags | 1))
    py, report = sys.executable, {}
    runs = [("cli", []), ("cli_torch", ["--backend", "torch"])]
    if sys.argv[4] == "milvus":  # Milvus Lite (the [scale] extra): its own server on loopback, files in the cache
        runs.append(("cli_milvus", ["--store", "milvus:milvus.db"]))
    for key, extra in runs:
        run = subprocess.run([py, "-m", "qa", "--json", *extra, "Who attended the talks?"],
                             capture_output=True, text=True, timeout=300)
        report[key] = {"code": run.returncode, "out": run.stdout, "err": run.stderr[-2000:]}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = subprocess.Popen([py, "app.py", "--mcp", "--port", str(port)], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    began, lines = time.monotonic(), []
    while time.monotonic() - began < 120:
        line = app.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Ready"):
            break
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        url = f"http://127.0.0.1:{port}/gradio_api/call/ask"
        request = urllib.request.Request(url, json.dumps({"data": ["Who attended the talks?"]}).encode(),
                                         {"Content-Type": "application/json"})
        event = json.load(opener.open(request, timeout=60))["event_id"]
        report["app_answer"] = opener.open(f"{url}/{event}", timeout=60).read().decode()
    except Exception as exc:
        report["app_answer"] = f"failed: {exc!r}"
    time.sleep(max(0.0, float(sys.argv[3]) - (time.monotonic() - began)))
    app.terminate()
    report["app_log"] = "".join(lines) + app.communicate(timeout=60)[0]
    with open(sys.argv[1], "w") as fh:
        json.dump(report, fh)
''')

SITE = textwrap.dedent('''
    import os, sys
    def _hook(event, args, _log=os.environ["NET_AUDIT_LOG"]):
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo", "socket.gethostbyname"):
            with open(_log, "a") as fh:
                fh.write(f"{os.getpid()} {event} {args!r}\\n")
    sys.addaudithook(_hook)
''')

_CONNECT = re.compile(r"\b(connect|sendto|sendmsg|sendmmsg)\(.*?sa_family=(AF_INET6?)(.*)")


def _works(command: list[str]) -> bool:
    try:
        return subprocess.run(command + ["true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def outside_connections(trace: str) -> list[str]:
    """The lines of an strace log (or audit log) that reach beyond loopback; DNS included.

    >>> outside_connections('9 connect(8, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.2")}')
    ['9 connect(8, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.0.0.2")}']
    >>> outside_connections('9 connect(5, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}')
    []
    """
    bad = []
    for line in trace.splitlines():
        if " socket." in line:  # the audit hook's lines
            if "getaddrinfo" in line or "gethostbyname" in line:
                if not re.search(r"\('(127\.\d+\.\d+\.\d+|localhost|::1|0\.0\.0\.0)'", line):
                    bad.append(line)
            elif re.search(r"\('\d", line) and not re.search(r"\('(127\.|::1)", line):
                bad.append(line)
            continue
        match = _CONNECT.search(line)
        if match and not re.search(r'inet_addr\("127\.|"::1"|"::ffff:127\.', match.group(3)):
            bad.append(line)
    return bad


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _project_files() -> set[str]:
    skip = {".venv", ".git", "__pycache__", ".pytest_cache", ".cache"}
    return {str(p.relative_to(PROJECT)) for p in PROJECT.rglob("*") if not skip & set(p.relative_to(PROJECT).parts)}


def test_cli_and_app_make_no_outside_connection_and_write_only_the_cache(tmp_path):
    home, tmp, cache = tmp_path / "home", tmp_path / "tmp", tmp_path / "cache"
    for folder in (home, tmp):
        folder.mkdir()
    driver, report_path, trace_path = tmp_path / "driver.py", tmp_path / "report.json", tmp_path / "trace.log"
    driver.write_text(DRIVER)
    env = {k: v for k, v in os.environ.items() if k not in SET_BY_THE_PACKAGE and not k.startswith("QA_")}
    env.update(HOME=str(home), TMPDIR=str(tmp), QA_CACHE_DIR=str(cache), QA_THREADS="1", PYTHONUNBUFFERED="1")
    env.pop("XDG_CACHE_HOME", None)

    strace = shutil.which("strace")
    netns = _works(["unshare", "-rn"])
    milvus = importlib.util.find_spec("milvus_lite") is not None
    command = [sys.executable, str(driver), str(report_path), "netns" if netns else "host", str(APP_SECONDS),
               "milvus" if milvus else "-"]
    if strace and _works([strace, "-f", "-o", os.devnull]):
        command = [strace, "--seccomp-bpf", "-f", "-qq", "-e", "signal=none",
                   "-e", "trace=connect,sendto,sendmsg,sendmmsg", "-o", str(trace_path)] + command
    else:  # weaker: Python-level only
        site = tmp_path / "site"
        site.mkdir()
        (site / "sitecustomize.py").write_text(SITE)
        env.update(PYTHONPATH=str(site), NET_AUDIT_LOG=str(trace_path))
        trace_path.touch()
    if netns:
        command = ["unshare", "-rn"] + command
    before = _project_files()
    run = subprocess.run(command, cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(report_path.read_text())

    for key in ("cli", "cli_torch", *(("cli_milvus",) if milvus else ())):  # all answered, torch and Milvus too
        assert report[key]["code"] == 0, report[key]["err"]
        assert json.loads(report[key]["out"])["answered"], report[key]
    assert '"answered": true' in report["app_answer"], report["app_answer"] + report["app_log"]
    assert "Traceback" not in report["app_log"], report["app_log"]

    outside = outside_connections(trace_path.read_text())
    assert not outside, "connections or DNS lookups beyond loopback:\n" + "\n".join(outside[:20])
    assert _files(home) == [], f"written under HOME: {_files(home)}"
    assert _files(tmp) == [], f"written under TMPDIR: {_files(tmp)}"
    assert _project_files() == before, "written into the project folder"
    assert (cache / "gradio").is_dir() and any((cache / "onnx").rglob("model.onnx.json"))
    assert not milvus or (cache / "milvus.db").is_dir()
