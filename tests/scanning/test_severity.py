"""Severity levels from CVSS vectors (scored by the cvss library) or textual ratings."""

from __future__ import annotations

from cloudraya_registry.scanning.severity import Severity, from_osv

V3_CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
V3_MEDIUM = "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N"
V4_CRITICAL = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"  # 9.3
V2_HIGH = "AV:N/AC:L/Au:N/C:P/I:P/A:P"


def test_cvss_vectors_are_scored() -> None:
    assert from_osv({"severity": [{"type": "CVSS_V3", "score": V3_CRITICAL}]}) == Severity(
        "Critical", 9.8, V3_CRITICAL
    )
    assert from_osv({"severity": [{"type": "CVSS_V3", "score": V3_MEDIUM}]}).level == "Medium"
    v4 = from_osv({"severity": [{"type": "CVSS_V4", "score": V4_CRITICAL}]})
    assert (v4.level, v4.score) == ("Critical", 9.3)
    assert from_osv({"severity": [{"type": "CVSS_V2", "score": V2_HIGH}]}) == Severity(
        "High", 7.5, V2_HIGH
    )


def test_v4_is_preferred_and_the_affected_entry_before_the_advisory() -> None:
    both = {
        "severity": [
            {"type": "CVSS_V3", "score": V3_MEDIUM},
            {"type": "CVSS_V4", "score": V4_CRITICAL},
        ]
    }
    assert from_osv(both).level == "Critical"
    affected = {"ecosystem_specific": {"severity": "LOW"}}
    assert from_osv(affected, both).level == "Low"


def test_textual_ratings_and_unknown() -> None:
    assert from_osv({"database_specific": {"severity": "MODERATE"}}).level == "Medium"
    assert from_osv({"severity": [{"type": "Ubuntu", "score": "negligible"}]}).level == "Low"
    assert from_osv({"ecosystem_specific": {"urgency": "unimportant"}}).level == "Low"
    assert from_osv({"severity": [{"type": "CVSS_V3", "score": "not a vector"}]}).level == "Unknown"
    assert from_osv({}) == Severity("Unknown")
