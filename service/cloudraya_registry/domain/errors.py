"""What a rule answers when it refuses: one exception per kind of refusal.

Each surface maps these to its own format by class (most specific first): the control plane to
``{"error": {...}}`` with a status, the data plane to an OCI error code, the dashboard to a page.
Messages are written for the person who sent the request and never contain a secret.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the rules refuse; ``details`` are machine-readable facts about it.

    ``code`` names the kind of refusal in the canonical (gRPC-style) words the control plane
    also answers with; it is what the audit log records for a refused change.
    """

    code = "FAILED_PRECONDITION"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or None


class InvalidArgument(DomainError):
    """The input breaks a rule of its own (a name, a size, a document)."""

    code = "INVALID_ARGUMENT"


class NotFound(DomainError):
    """The thing does not exist, or belongs to another project (indistinguishable)."""

    code = "NOT_FOUND"


class RegistryNotFound(NotFound):
    pass


class RepositoryNotFound(NotFound):
    pass


class ManifestNotFound(NotFound):
    """No manifest under that digest, or no such tag."""


class BlobNotFound(NotFound):
    pass


class UploadNotFound(NotFound):
    pass


class AlreadyExists(DomainError):
    code = "ALREADY_EXISTS"


class FailedPrecondition(DomainError):
    """The input is fine but the current state does not allow it."""


class ConfirmationMismatch(FailedPrecondition):
    """A destructive action was not confirmed with the exact name."""


class ReferencedContentMissing(FailedPrecondition):
    """A manifest points at a blob or child manifest the repository does not hold."""


class QuotaExceeded(FailedPrecondition):
    """The registry's storage (or its allowance of unfinished uploads) has no room for this."""


class ImmutableTag(FailedPrecondition):
    """Tag immutability forbids moving or removing what a tag names."""


class Throttled(DomainError):
    """Too many attempts; ``retry_after`` seconds until the next one may succeed."""

    code = "RESOURCE_EXHAUSTED"

    def __init__(self, message: str, retry_after: int, **details: Any) -> None:
        super().__init__(message, **details)
        self.retry_after = retry_after
