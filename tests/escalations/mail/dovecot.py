"""A real IMAP server for tests: Debian's dovecot, configured in a temp dir, on a free port of 127.0.0.1, no SSL.

Needs `dovecot-imapd` (.ci/run installs it). Without it the IMAP tests skip locally and fail under CI/E2E_REQUIRED.
"""

import getpass
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = os.environ.get("DOVECOT_PATH", "/usr/sbin/dovecot")
USER, PASSWORD = "desk", "desk-imap-test"


@dataclass
class Dovecot:
    port: int
    process: subprocess.Popen
    root: Path

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        shutil.rmtree(self.root, ignore_errors=True)

    @property
    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def is_available() -> bool:
    return os.path.exists(DOVECOT)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _mail_owner() -> tuple[int, int, str, str]:
    """Who owns the mail: dovecot refuses uid 0, so root hands it to the `dovecot` system user."""
    if os.getuid() != 0:
        me = getpass.getuser()
        return os.getuid(), os.getgid(), me, me
    account = pwd.getpwnam("dovecot")
    return account.pw_uid, account.pw_gid, "dovenull", "dovecot"


def start() -> Dovecot:
    """Start a private dovecot; `stop()` ends it and removes its folder."""
    # Not pytest's tmp_path: its parents are private to us, and dovecot's own users must reach the passwd file.
    root = Path(tempfile.mkdtemp(prefix="escalation-desk-dovecot-"))
    uid, gid, login_user, internal_user = _mail_owner()
    port = _free_port()
    for folder in ("run", "state", "mail", "home"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    root.chmod(0o755)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    (root / "dovecot.conf").write_text(
        f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
default_login_user = {login_user}
default_internal_user = {internal_user}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
    )
    if os.getuid() == 0:
        for folder in ("mail", "home"):
            shutil.chown(root / folder, uid, gid)
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    server = Dovecot(port=port, process=process, root=root)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited with {process.returncode}:\n{server.log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"dovecot did not listen on 127.0.0.1:{port}:\n{server.log}")
