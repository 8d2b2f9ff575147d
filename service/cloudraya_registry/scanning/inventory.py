"""What a scan found installed: the distribution and every package, with where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Package:
    """One installed package. ``ecosystem`` uses OSV's names (Debian, Alpine, PyPI, npm, Go).

    ``source_name``/``source_version`` are the distribution source package (dpkg ``Source:``,
    apk origin), which is what distribution advisories name.
    """

    ecosystem: str
    name: str
    version: str
    path: str = ""
    layer: str = ""
    source_name: str | None = None
    source_version: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OperatingSystem:
    """From os-release: ``id`` like ``debian``/``alpine``/``ubuntu``; ``version_id`` like ``12``."""

    id: str
    version_id: str | None
    pretty_name: str | None

    @property
    def osv_ecosystem(self) -> str | None:
        """OSV ecosystem of the distribution's packages, e.g. ``Debian:12``, ``Alpine:v3.19``."""
        version = self.version_id or ""
        if self.id == "debian":
            return f"Debian:{version.split('.')[0]}" if version else "Debian"
        if self.id == "ubuntu":
            return f"Ubuntu:{version}" if version else "Ubuntu"
        if self.id == "alpine":
            parts = version.split(".")
            return f"Alpine:v{parts[0]}.{parts[1]}" if len(parts) >= 2 else "Alpine"
        return None


@dataclass
class Inventory:
    os: OperatingSystem | None = None
    packages: list[Package] = field(default_factory=list)
