"""The repeated member rows of the new-household form, without JavaScript.

Rows are named `members-<row>-<field>`; blank rows are skipped, so the service's
`members[<n>].<field>` errors are mapped back to the row they came from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reception.services.errors import FieldError
from reception.services.households import MAX_MEMBERS

FIELDS = (
    "given_name",
    "family_name",
    "birth_date",
    "personnummer",
    "samordningsnummer_date",
    "permit_date",
)
# Sent even when blank, so that a half-filled row is told what it misses.
REQUIRED = ("given_name", "family_name", "birth_date")
DEFAULT_ROWS = 2
_SERVICE_NAME = re.compile(r"^members\[(\d+)\]\.(\w+)$")


@dataclass
class MemberRows:
    rows: list[dict[str, str]]
    # For each member sent to the service, the row it came from.
    sent_from: list[int] = field(default_factory=list)

    @classmethod
    def empty(cls) -> MemberRows:
        return cls([dict.fromkeys(FIELDS, "") for _ in range(DEFAULT_ROWS)])

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> MemberRows:
        try:
            count = int(form.get("member_count", DEFAULT_ROWS))
        except (TypeError, ValueError):
            count = DEFAULT_ROWS
        count = max(1, min(count, MAX_MEMBERS))
        return cls(
            [
                {f: str(form.get(f"members-{i}-{f}", "")).strip() for f in FIELDS}
                for i in range(count)
            ]
        )

    def add_row(self) -> None:
        if len(self.rows) < MAX_MEMBERS:
            self.rows.append(dict.fromkeys(FIELDS, ""))

    @property
    def can_add(self) -> bool:
        return len(self.rows) < MAX_MEMBERS

    def payload(self) -> list[dict[str, str]]:
        self.sent_from = [i for i, row in enumerate(self.rows) if any(row.values())]
        return [
            {f: v for f, v in self.rows[i].items() if v or f in REQUIRED} for i in self.sent_from
        ]

    def field_errors(self, errors: list[FieldError]) -> dict[str, str]:
        """{input id: message}, in the order of the form."""
        result: dict[str, str] = {}
        for error in errors:
            match = _SERVICE_NAME.match(error.field)
            if match and int(match.group(1)) < len(self.sent_from):
                row = self.sent_from[int(match.group(1))]
                key = f"members-{row}-{match.group(2)}"
            elif error.field == "members":
                key = "members-0-given_name"
            else:
                key = error.field
            result.setdefault(key, error.message)
        return result
