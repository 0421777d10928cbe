"""A throwaway PostgreSQL server for the hub's tests and benchmarks: TLS and SCRAM passwords only, on 127.0.0.1.

Debian's binaries (``/usr/lib/postgresql/<version>/bin``) refuse to run as root, so when this process is root
the server's folder belongs to the ``postgres`` user and its programs run as that user (what
``runuser -u postgres --`` does, done by ``subprocess`` so that this process stays the server's parent: it can
SIGKILL it and reap it, and a restart on the same folder is never blocked by a zombie holding the lock file).

The folder holds ``data/`` (the cluster), ``tls/`` (a self-signed CA made with ``openssl``, a server certificate
for 127.0.0.1 and localhost, and a second, unrelated CA for tests that must be refused) and ``server.log``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

PG_GLOB = "/usr/lib/postgresql/*/bin"
HOST = "127.0.0.1"
SUPERUSER = "postgres"
MISSING = ("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: install Debian's `postgresql` "
           "package (.ci/run installs it: apt-get install postgresql).")


class PgServerError(RuntimeError):
    """The test server could not be made, started or stopped."""


def pg_bin() -> Path:
    """The newest installed server binaries; ``PgServerError`` (saying what installs them) when there are none."""
    found = [Path(path) for path in glob.glob(PG_GLOB) if (Path(path) / "initdb").exists()]
    if not found:
        raise PgServerError(MISSING)
    return max(found, key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _as_server_user() -> dict:
    """subprocess arguments that run a program as the postgres user when we are root (nothing otherwise)."""
    return {"user": SUPERUSER, "group": SUPERUSER, "extra_groups": []} if os.geteuid() == 0 else {}


def _run(args: list[str], **kwargs) -> None:
    done = subprocess.run(args, check=False, capture_output=True, text=True, **kwargs)
    if done.returncode:
        raise PgServerError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip() or done.stdout}")


def _openssl_ca(folder: Path, name: str) -> tuple[Path, Path]:
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    _run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
          "-keyout", str(key), "-out", str(cert), "-days", "3", "-subj", f"/CN=kiosk test {name}",
          "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    return cert, key


def make_certificates(folder: Path) -> None:
    """ca.pem (the CA clients pin), server.crt/server.key signed by it for 127.0.0.1 and localhost, and
    other-ca.pem, a CA that signed nothing here."""
    folder.mkdir(parents=True, exist_ok=True)
    ca, ca_key = _openssl_ca(folder, "ca")
    _openssl_ca(folder, "other-ca")
    (folder / "server.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                                       "keyUsage=critical,digitalSignature,keyEncipherment\n"
                                       "extendedKeyUsage=serverAuth\n")
    _run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
          "-keyout", str(folder / "server.key"), "-out", str(folder / "server.csr"), "-subj", f"/CN={HOST}"])
    _run(["openssl", "x509", "-req", "-in", str(folder / "server.csr"), "-CA", str(ca), "-CAkey", str(ca_key),
          "-CAcreateserial", "-out", str(folder / "server.crt"), "-days", "3", "-extfile", str(folder / "server.ext")])
    (folder / "server.key").chmod(0o600)


class PgServer:
    """One cluster in its own folder.  ``start()`` (creating the cluster the first time), ``stop()`` (a clean
    shutdown), ``kill()`` (SIGKILL to the server and every backend: a power cut), ``start()`` again on the
    same folder and port (crash recovery runs), ``remove()`` (stop and delete the folder).

    ``dsn(dbname, user)`` is a libpq connection string without a password, pinned to the CA
    (``sslmode=verify-full sslrootcert=<ca.pem>``); the superuser's password is ``password``.
    """

    def __init__(self, folder: Path | None = None, port: int | None = None, durable: bool = True) -> None:
        self.bin = pg_bin()
        self.folder = folder or Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        self.data = self.folder / "data"
        self.tls = self.folder / "tls"
        self.ca = self.tls / "ca.pem"
        self.other_ca = self.tls / "other-ca.pem"
        self.log = self.folder / "server.log"
        self.port = port or free_port()
        self.password = secrets.token_hex(16)
        self.durable = durable
        self._process: subprocess.Popen | None = None

    def __repr__(self) -> str:
        return f"<PgServer {HOST}:{self.port} {self.folder} {'running' if self.running else 'stopped'}>"

    def dsn(self, dbname: str = "postgres", user: str = SUPERUSER, **extra: str) -> str:
        from psycopg.conninfo import make_conninfo

        params = {"host": HOST, "port": self.port, "dbname": dbname, "user": user, "sslmode": "verify-full",
                  "sslrootcert": str(self.ca), "connect_timeout": 10}
        return make_conninfo(**{**params, **extra})

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _create(self) -> None:
        make_certificates(self.tls)
        secret = self.folder / "pwfile"
        secret.write_text(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(self.folder, SUPERUSER, SUPERUSER)
            for path in [secret, *self.tls.rglob("*"), self.tls]:
                shutil.chown(path, SUPERUSER, SUPERUSER)
        try:
            _run([str(self.bin / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--pwfile", str(secret),
                  "--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-instructions"], **_as_server_user())
        finally:
            secret.unlink()
        (self.data / "pg_hba.conf").write_text(
            "# TLS with SCRAM passwords from 127.0.0.1, nothing else\n"
            f"hostssl all all {HOST}/32 scram-sha-256\n"
            "hostnossl all all 0.0.0.0/0 reject\n")
        settings = {
            "listen_addresses": f"'{HOST}'", "port": str(self.port), "unix_socket_directories": "''",
            "ssl": "on", "ssl_cert_file": f"'{self.tls / 'server.crt'}'",
            "ssl_key_file": f"'{self.tls / 'server.key'}'", "password_encryption": "'scram-sha-256'",
            "max_connections": "100", "fsync": "on" if self.durable else "off",
            "synchronous_commit": "on" if self.durable else "off",
        }
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# kiosk test server\n" + "".join(f"{name} = {value}\n" for name, value in settings.items()))

    def start(self, timeout: float = 30) -> None:
        """Start the server (making the cluster first if there is none) and wait until it takes connections."""
        if self.running:
            return
        if not (self.data / "PG_VERSION").exists():
            self._create()
        with open(self.log, "ab") as log:
            self._process = subprocess.Popen([str(self.bin / "postgres"), "-D", str(self.data)], stdout=log,
                                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                             start_new_session=True, **_as_server_user())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise PgServerError(f"the PostgreSQL server exited ({self._process.returncode}): {self._tail()}")
            if self._ready():
                return
            time.sleep(0.02)
        raise PgServerError(f"the PostgreSQL server did not start within {timeout} s: {self._tail()}")

    def _ready(self) -> bool:
        """The postmaster writes its pid on its lock file's first line, and "ready" on the 8th once it accepts
        connections (a lock file left by a killed server names another pid)."""
        assert self._process is not None
        try:
            lines = (self.data / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return len(lines) >= 8 and lines[0].strip() == str(self._process.pid) and lines[7].strip() == "ready"

    def _tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"

    def _backends(self) -> list[int]:
        """The server's child processes (backends, checkpointer, WAL writer...)."""
        assert self._process is not None
        children = []
        for stat in glob.glob("/proc/[0-9]*/stat"):
            try:
                text = Path(stat).read_text()
            except OSError:
                continue
            fields = text[text.rindex(")") + 2:].split()
            if int(fields[1]) == self._process.pid:
                children.append(int(Path(stat).parent.name))
        return children

    def kill(self) -> None:
        """SIGKILL the postmaster and all its processes at once, as a power cut would, and wait until they are
        gone (a restart on the same folder then runs crash recovery)."""
        if not self.running:
            return
        assert self._process is not None
        backends = self._backends()
        self._process.send_signal(signal.SIGKILL)
        for pid in backends:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._process.wait()
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in backends):
            if time.monotonic() > deadline:
                raise PgServerError("server processes outlived SIGKILL for 10 s")
            time.sleep(0.01)

    def stop(self, timeout: float = 30) -> None:
        """A clean ("fast") shutdown: open sessions are ended, everything committed is kept."""
        if not self.running:
            return
        assert self._process is not None
        self._process.send_signal(signal.SIGINT)
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    """A process that still runs (a zombie waiting for a parent to reap it no longer counts)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2] != "Z"
