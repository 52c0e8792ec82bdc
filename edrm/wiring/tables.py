"""Every table's model, imported in one place so the metadata is complete (migrations, tests).

Like bootstrap, this is part of the composition root: it may name the retention and harvest
packages.
"""

from disclosure.models import (
    BundleItem,
    Clarification,
    InformationRequest,
    RequestEvent,
    RequestSearch,
    TimeEntry,
)
from disclosure.redaction_models import Redaction, RequestResponse
from edrm.audit import AuditEvent, AuditHead
from edrm.db import Base
from edrm.documents.models import Document, DocumentText, DocumentVersion
from edrm.fileplan.models import FilePlanNode
from edrm.idempotency import IdempotencyKey
from edrm.ingest.models import (
    ClassificationCorrection,
    DocumentSuggestion,
    IngestJob,
)
from edrm.job_lock import JobLock
from edrm.leadership import LeaderLease
from edrm.mailin.models import Transmission
from edrm.notifications.models import Notification, NotificationPreference
from edrm.outbox import OutboxEntry
from edrm.people.models import Group, OidcIdentity, User
from edrm.people.sessions import SignInSession
from edrm.people.throttle import SignInFailure, SignInLock
from edrm.people.tokens import ApiToken
from edrm.renditions.models import Rendition
from edrm.saved_searches import SavedSearch
from edrm.system_state import SystemState
from edrm.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from harvest.models import (
    ClassCriticality,
    Endorsement,
    HarvestApproval,
    HarvestPlan,
    HarvestSession,
    InferredExpertise,
    Leaver,
    Profile,
    Skill,
)
from retention.models import (
    DisposalBatch,
    DisposalDecision,
    DisposalItem,
    LegalHold,
    LegalHoldItem,
    RecordRetention,
    ResidualStub,
    RetentionEvent,
    RetentionRule,
    Transfer,
    TransferItem,
)

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "Base",
    "BundleItem",
    "Clarification",
    "ClassCriticality",
    "ClassificationCorrection",
    "DisposalBatch",
    "DisposalDecision",
    "DisposalItem",
    "Document",
    "DocumentSuggestion",
    "DocumentText",
    "DocumentVersion",
    "Endorsement",
    "FilePlanNode",
    "Group",
    "HarvestApproval",
    "HarvestPlan",
    "HarvestSession",
    "IdempotencyKey",
    "InferredExpertise",
    "InformationRequest",
    "IngestJob",
    "JobLock",
    "LeaderLease",
    "Leaver",
    "LegalHold",
    "LegalHoldItem",
    "Notification",
    "NotificationPreference",
    "OidcIdentity",
    "OutboxEntry",
    "Profile",
    "RecordRetention",
    "Redaction",
    "Rendition",
    "RequestEvent",
    "RequestResponse",
    "RequestSearch",
    "ResidualStub",
    "RetentionEvent",
    "RetentionRule",
    "SavedSearch",
    "SignInFailure",
    "SignInLock",
    "SignInSession",
    "Skill",
    "SystemState",
    "TimeEntry",
    "Transfer",
    "TransferItem",
    "Transmission",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]
