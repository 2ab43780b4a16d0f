"""Task states, shared by the engine and the models."""

from enum import StrEnum


class TaskStatus(StrEnum):
    OPEN = "open"
    WAITING = "waiting"  # waiting on an authority (Skatteverket, Migrationsverket …)
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"  # decided by a person, with a note
    WITHDRAWN = "withdrawn"  # the definition no longer applies, e.g. a member left

    @property
    def is_settled(self) -> bool:
        """Settled tasks keep their dates and no longer block others."""
        return self in (TaskStatus.DONE, TaskStatus.NOT_APPLICABLE, TaskStatus.WITHDRAWN)
