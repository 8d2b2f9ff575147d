"""Control-plane API tokens: high-entropy random strings stored only as SHA-256 digests.

A fast hash is enough here because the tokens carry ~256 bits of entropy; guessing is hopeless
and a slow KDF would only add latency to every API call.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloudraya_registry.db.models import ApiToken, Project

TOKEN_PREFIX = "crt_"


def generate_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class TokenOwner:
    """Who an API token speaks for."""

    project_id: int
    project_name: str
    token_name: str


def find_token_owner(session: Session, token: str) -> TokenOwner | None:
    digest = token_digest(token)
    row = session.execute(
        select(ApiToken, Project)
        .join(Project, Project.id == ApiToken.project_id)
        .where(ApiToken.token_sha256 == digest)
    ).first()
    if row is None or not hmac.compare_digest(row.ApiToken.token_sha256, digest):
        return None
    return TokenOwner(row.Project.id, row.Project.name, row.ApiToken.name)


def ensure_project(session: Session, name: str) -> Project:
    project = session.scalar(select(Project).where(Project.name == name))
    if project is None:
        project = Project(name=name)
        session.add(project)
        session.flush()
    return project


def add_token(session: Session, project: Project, name: str, token: str) -> ApiToken:
    row = ApiToken(project_id=project.id, name=name, token_sha256=token_digest(token))
    session.add(row)
    session.flush()
    return row
