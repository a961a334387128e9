"""Public names of the case-file models (split by concern, re-exported here as Wagtail does)."""

from .calendar import CalendarDay, CalendarYear
from .cards import (
    Assessment,
    AssessmentResult,
    Card,
    CardEvent,
    CardEventKind,
    CardStatus,
    ExitCandidate,
    ExitCandidateStatus,
    NoticeObjection,
    ObjectionStatus,
    ProductionBatch,
    ProductionItem,
    PublicNotice,
    RevocationRequest,
    RevocationRequestStatus,
)
from .dossiers import (
    OTHER_MATERIAL,
    Attachment,
    Document,
    DocumentSide,
    Dossier,
    DossierGroupObjectPermission,
    DossierUserObjectPermission,
    IdType,
    MaterialWaiver,
    Opinion,
    OpinionRequest,
    OpinionRequestStatus,
    TextStatus,
    SequenceCounter,
)
from .jobs import BackgroundJob, JobKind, JobStatus
from .journal import JournalEntry, JournalHead
from .notifications import Notification, SmsOutbox
from .organisations import Department, DepartmentKind, Jurisdiction, JurisdictionLevel, Membership, Role
from .schemes import (
    Criterion,
    ExitEffect,
    MaterialRequirement,
    Precondition,
    Recognition,
    RevocationReason,
    Scheme,
    ServiceCategory,
    ServiceItem,
    ServiceRequester,
    StateKind,
    TransitionRole,
    Tier,
    TimeLimitUnit,
    ValidityRule,
    WorkflowState,
    WorkflowTransition,
)

__all__ = [
    "BackgroundJob", "JobKind", "JobStatus",
    "OTHER_MATERIAL", "MaterialRequirement", "MaterialWaiver", "OpinionRequest", "OpinionRequestStatus", "Attachment", "Document", "DocumentSide", "TextStatus", "CalendarDay", "CalendarYear", "Card", "CardStatus", "Criterion",
    "Department", "DepartmentKind", "Dossier", "DossierGroupObjectPermission", "DossierUserObjectPermission",
    "ExitEffect", "IdType", "JournalEntry", "JournalHead", "Jurisdiction", "JurisdictionLevel", "Membership",
    "Notification", "Opinion", "Precondition", "SmsOutbox", "Recognition", "RevocationReason", "Role", "Scheme", "SequenceCounter",
    "ServiceCategory", "ServiceItem", "StateKind", "Tier", "TransitionRole", "ValidityRule", "WorkflowState", "WorkflowTransition",
    "Assessment", "AssessmentResult", "CardEvent", "CardEventKind", "ExitCandidate", "ExitCandidateStatus",
    "NoticeObjection", "ObjectionStatus", "ProductionBatch", "ProductionItem", "PublicNotice", "RevocationRequest",
    "RevocationRequestStatus", "ServiceRequester", "TimeLimitUnit",
]
