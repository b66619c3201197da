"""Start and stop a throwaway PostgreSQL cluster on loopback (Debian's postgresql package).

Used by ``make demo`` and by the end-to-end tests. ``initdb`` refuses to run as root, so as
root the server programs run as the ``postgres`` user, in a temporary folder it can reach.

    python scripts/throwaway_postgres.py start DIR   # prints: PORT
    python scripts/throwaway_postgres.py stop DIR
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

USER = "meltano"
PASSWORD = "meltano"  # noqa: S105 - a throwaway cluster on loopback
DATABASE = "warehouse"


def _bindir() -> Path:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        msg = "pg_config not found: install PostgreSQL with 'apt-get install -y postgresql'"
        raise SystemExit(msg)
    return Path(subprocess.check_output([pg_config, "--bindir"], text=True).strip())


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(bindir: Path, root: Path, data: Path, attempts: int = 5) -> int:
    """pg_ctl start on a free port; another port if one was taken meanwhile (returns it).

    The port is free when chosen, but another process (a parallel test worker starting its
    own cluster) can bind it before the server does: then the start fails and is retried.
    """
    for attempt in range(attempts):
        port = _free_port()
        started = subprocess.run(
            _as_server_user(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(root / "log"),
                    "-o",
                    f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off",
                    "-w",
                    "start",
                ]
            ),
            check=attempt == attempts - 1,
            stdout=subprocess.DEVNULL,
        )
        if started.returncode == 0:
            return port
    raise AssertionError("unreachable")


def start(root: Path) -> int:
    """initdb + pg_ctl start on a free loopback port; creates role and database; returns port."""
    root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        root.chmod(0o755)
    bindir = _bindir()
    data = root / "data"
    subprocess.run(
        _as_server_user(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = _serve(bindir, root, data)
    (root / "port").write_text(str(port))
    psql = [
        str(bindir / "psql"),
        "-h",
        str(root),
        "-p",
        str(port),
        "-U",
        "postgres",
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
    ]
    for sql in (
        f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}'",
        f"CREATE DATABASE {DATABASE} OWNER {USER}",
    ):
        subprocess.run(_as_server_user([*psql, "-c", sql]), check=True)
    return port


def stop(root: Path) -> None:
    data = root / "data"
    if (data / "postmaster.pid").exists():
        subprocess.run(
            _as_server_user(
                [str(_bindir() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
            ),
            check=False,
            stdout=subprocess.DEVNULL,
        )
    for _ in range(50):
        if not (data / "postmaster.pid").exists():
            break
        time.sleep(0.1)
    shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(argv[2]).resolve()
    if argv[1] == "start":
        print(start(root))
    else:
        stop(root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
