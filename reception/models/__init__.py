"""ORM models, one module per aggregate; importing this package registers them all."""

from reception.models.household import Household, HouseholdStatus, Person
from reception.models.municipality import Municipality
from reception.models.notification import Notification, NotificationKind, SweepRun
from reception.models.protection import ProtectionEndScenario, SettlementQuota
from reception.models.reimbursement import (
    AllocationYear,
    ExpectedPayment,
    PaymentImport,
    ReceivedPayment,
)
from reception.models.task import ChangeEvent, ChangeSet, Task, TaskStatus
from reception.models.tenancy import TenantScoped
from reception.models.user import ApiToken, Role, User

__all__ = [
    "AllocationYear",
    "ApiToken",
    "ChangeEvent",
    "ChangeSet",
    "ExpectedPayment",
    "Household",
    "HouseholdStatus",
    "Municipality",
    "Notification",
    "NotificationKind",
    "PaymentImport",
    "Person",
    "ProtectionEndScenario",
    "ReceivedPayment",
    "Role",
    "SettlementQuota",
    "SweepRun",
    "Task",
    "TaskStatus",
    "TenantScoped",
    "User",
]
