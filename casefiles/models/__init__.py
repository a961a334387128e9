"""Public names of the case-file models (split by concern, re-exported here as Wagtail does)."""

from .organisations import Department, DepartmentKind, Jurisdiction, JurisdictionLevel, Membership, Role
from .schemes import (
    Criterion,
    ExitEffect,
    Precondition,
    Recognition,
    RevocationReason,
    Scheme,
    ServiceCategory,
    ServiceItem,
    StateKind,
    Tier,
    ValidityRule,
    WorkflowState,
    WorkflowTransition,
)

__all__ = [
    "Criterion",
    "Department",
    "DepartmentKind",
    "ExitEffect",
    "Jurisdiction",
    "JurisdictionLevel",
    "Membership",
    "Precondition",
    "Recognition",
    "RevocationReason",
    "Role",
    "Scheme",
    "ServiceCategory",
    "ServiceItem",
    "StateKind",
    "Tier",
    "ValidityRule",
    "WorkflowState",
    "WorkflowTransition",
]
