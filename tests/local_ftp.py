"""An anonymous, read-only FTP server on 127.0.0.1 (pyftpdlib) for download tests: serves a
folder, counts connections and records each RETR with the REST offset it was asked for."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


class LocalFtpServer:
    def __init__(self, root: Path, size_command: bool = True):
        self.root = Path(root)
        self.retrievals: list[tuple[str, int]] = []  # (path, REST offset)
        self.connections = 0
        authorizer = DummyAuthorizer()
        authorizer.add_anonymous(str(self.root))
        server = self

        class Handler(FTPHandler):
            def on_connect(self):
                server.connections += 1

            def ftp_SIZE(self, path):
                if not size_command:
                    return self.respond("502 Command not implemented.")
                return super().ftp_SIZE(path)

            def ftp_RETR(self, file):
                server.retrievals.append((file, self._restart_position))
                return super().ftp_RETR(file)

        Handler.authorizer = authorizer
        logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
        self._server = FTPServer(("127.0.0.1", 0), Handler)
        self.url = f"ftp://127.0.0.1:{self._server.address[1]}"

    def __enter__(self):
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"timeout": 0.1, "handle_exit": False}
        )
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.close_all()
        self._thread.join(timeout=5)
