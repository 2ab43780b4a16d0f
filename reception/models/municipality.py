"""The tenant: one Swedish municipality (kommun)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from reception.extensions import db


class Municipality(db.Model):
    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Kommunkod from SCB, four digits (e.g. 2260 Bräcke).
    code: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(100))

    def __repr__(self) -> str:
        return f"<Municipality {self.code} {self.name}>"
