"""Sending e-mail: over SMTP, or into a directory of .eml files when no server is set.

Each message carries a Message-ID derived from its notification, so a message that is
sent again after a crash (between the SMTP hand-over and the commit that marks it
delivered) is recognisably the same message; the outbox directory even overwrites it.
"""

from __future__ import annotations

import contextlib
import os
import smtplib
import ssl
import tempfile
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol


class Transport(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


class OutboxTransport:
    """Writes each message to `directory/<message-id>.eml` (the embedded default)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").split("@")[0] + ".eml"
        # Written whole and renamed into place: a reader never sees half a message.
        handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            file.write(message.as_bytes())
        os.replace(temporary, self.directory / name)

    def close(self) -> None:
        pass


class SmtpTransport:
    """One SMTP connection, opened on the first message and reused for the batch."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.host: str = config["MAIL_HOST"]
        self.port = int(config["MAIL_PORT"])
        self.security: str = config["MAIL_SECURITY"]
        self.username: str | None = config.get("MAIL_USERNAME")
        self.password: str | None = config.get("MAIL_PASSWORD")
        self.timeout = int(config.get("MAIL_TIMEOUT", 30))
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.security == "ssl":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.security == "starttls":
                smtp.starttls(context=context)
        if self.username:
            smtp.login(self.username, self.password or "")
        return smtp

    def send(self, message: EmailMessage) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except (smtplib.SMTPServerDisconnected, OSError):
            # The server may have dropped an idle connection: once more on a fresh one.
            self.close()
            self._smtp = self._connect()
            self._smtp.send_message(message)

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._smtp.quit()
            self._smtp = None


class Mailer:
    """The transport the settings ask for, as a context manager closing it at the end."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.sender: str = config["MAIL_FROM"]
        self.transport: Transport = (
            SmtpTransport(config)
            if config.get("MAIL_HOST")
            else OutboxTransport(Path(config["MAIL_OUTBOX_DIR"]))
        )

    @property
    def domain(self) -> str:
        address = parseaddr(self.sender)[1]
        return address.rpartition("@")[2] or "localhost"

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.transport.close()

    def send(self, message: EmailMessage) -> None:
        if "From" not in message:
            message["From"] = self.sender
        self.transport.send(message)
