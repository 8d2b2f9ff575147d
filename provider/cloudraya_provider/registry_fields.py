"""Fields several resources declare alike: the registry they belong to, and its login details."""

from __future__ import annotations

from .kinds import String
from .naming import REGISTRY_NAME
from .spec import Field, computed


def registry_reference(role: str, output_doc: str) -> Field:
    """The `registry` input of a resource that belongs to one registry (replaces on change)."""
    return Field(
        "registry",
        String(rule=REGISTRY_NAME),
        required=True,
        replaces=True,
        always=True,
        doc=f"Name of the registry {role}: {{rule}}. Changing it replaces this resource.",
        output_doc=output_doc,
    )


USERNAME = computed("username", String(), "Username for `docker login` (the registry name).")


def endpoint(doc: str = "Registry endpoint (`host:port/name`).") -> Field:
    return computed("endpoint", String(), doc)
