"""Version order per ecosystem, on the cases that naive string or tuple comparison gets wrong."""

from __future__ import annotations

import pytest
from cloudraya_registry.scanning.apk_version import InvalidApkVersion, compare
from cloudraya_registry.scanning.osv import evaluate


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("1.36.1-r2", "1.36.1-r15"),
        ("1.2.4-r4", "1.2.4_git20230717-r4"),
        ("1.2.4_rc1", "1.2.4"),
        ("1.2.4_alpha", "1.2.4_beta2"),
        ("1.2.4", "1.2.4_p1"),
        ("1.2", "1.2.0"),
        ("1.2", "1.2a"),
        ("1.2a", "1.2.3"),
        ("1.0_git1", "1.0_p1"),
        ("1.05", "1.5"),
        ("3.1.4-r5", "3.1.4-r6"),
    ],
)
def test_apk_order(older: str, newer: str) -> None:
    assert compare(older, newer) == -1
    assert compare(newer, older) == 1
    assert compare(newer, newer) == 0


def test_apk_rejects_what_is_not_a_version() -> None:
    with pytest.raises(InvalidApkVersion):
        compare("v1.0", "1.0")
    with pytest.raises(InvalidApkVersion):
        compare("1.0_bogus1", "1.0")


def _affected(ecosystem: str, installed: str, *events: dict, range_type: str = "ECOSYSTEM"):
    return evaluate(ecosystem, installed, [{"type": range_type, "events": list(events)}], [])


def test_dpkg_epoch_and_tilde() -> None:
    # epoch 1 beats any epoch-0 version, however large
    assert not _affected(
        "Debian:12", "1:4.13+dfsg1-1", {"introduced": "0"}, {"fixed": "9.0"}
    ).affected
    assert _affected(
        "Debian:12", "1:4.13+dfsg1-1", {"introduced": "0"}, {"fixed": "2:0.1"}
    ).affected
    # a tilde sorts before the release it precedes
    verdict = _affected("Debian:12", "3.0.11-1~deb12u1", {"introduced": "0"}, {"fixed": "3.0.11-1"})
    assert verdict.affected and verdict.fixed_version == "3.0.11-1"


def test_ranges_with_several_spans_and_last_affected() -> None:
    events = (
        {"introduced": "1.0.0"},
        {"fixed": "1.5.0"},
        {"introduced": "2.0.0"},
        {"fixed": "2.5.0"},
    )
    assert _affected("npm", "1.2.0", *events).fixed_version == "1.5.0"
    assert not _affected("npm", "1.7.0", *events).affected
    assert _affected("npm", "2.4.9", *events).fixed_version == "2.5.0"
    assert not _affected("npm", "2.5.0", *events).affected
    assert _affected("Go", "1.2.3", {"introduced": "0"}, {"last_affected": "1.2.3"}).affected
    assert not _affected("Go", "1.2.4", {"introduced": "0"}, {"last_affected": "1.2.3"}).affected


def test_unparseable_versions_are_not_guessed() -> None:
    assert not _affected("PyPI", "not a version", {"introduced": "0"}).affected
    assert not _affected("PyPI", "1.0", {"introduced": "0"}, range_type="GIT").affected
