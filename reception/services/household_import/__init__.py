"""Bulk import of households from CSV or Excel (docs/import.md)."""

from reception.services.household_import.service import (
    MAX_HOUSEHOLDS,
    ImportRejected,
    ImportResult,
    Problem,
    import_households,
)

__all__ = ["MAX_HOUSEHOLDS", "ImportRejected", "ImportResult", "Problem", "import_households"]
