"""The newsroom's words as types. Plain data with behaviour; nothing here knows about
HTTP or a database.

- ``comments``: stories, authors, comments, notices and their states;
- ``actors``: who is acting, their roles and what each role may do;
- ``accounts``: accounts, sessions and API tokens;
- ``workspace``: queues, reports, decisions (the audit log), sanctions and appeals.
"""

from parley.domain.accounts import Account, ApiToken, Session
from parley.domain.actors import ACCOUNT_ROLES, ROLE_PERMISSIONS, Actor, Permission, Role
from parley.domain.comments import (
    MODERATION_NOTICE_KINDS,
    NOTICE_TEXTS,
    TOMBSTONE_HTML,
    WRITER_MESSAGES,
    Author,
    AuthorKind,
    Comment,
    CommentState,
    Notice,
    Story,
    utcnow,
    verdict_from_dict,
)
from parley.domain.workspace import (
    OPEN_QUEUES,
    Appeal,
    Decision,
    DecisionKind,
    Queue,
    Report,
    ReportReason,
    Sanction,
    SanctionKind,
)

__all__ = [
    "ACCOUNT_ROLES", "MODERATION_NOTICE_KINDS", "NOTICE_TEXTS", "OPEN_QUEUES", "ROLE_PERMISSIONS", "TOMBSTONE_HTML",
    "WRITER_MESSAGES", "Account", "Actor", "ApiToken", "Appeal", "Author", "AuthorKind", "Comment", "CommentState",
    "Decision", "DecisionKind", "Notice", "Permission", "Queue", "Report", "ReportReason", "Role", "Sanction",
    "SanctionKind", "Session", "Story", "utcnow", "verdict_from_dict",
]
