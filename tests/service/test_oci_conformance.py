"""The OCI distribution-spec conformance suite (Ginkgo build) against the service.

All four workflows run (pull, push, content discovery, content management) with a
cross-mount namespace in the same registry; the junit and HTML reports are kept under
test-artifacts/oci-conformance/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree

import pytest

from tests.service.oci_helpers import PASSWORD
from tests.support.paths import ARTIFACTS_DIR, require_tool
from tests.support.service import ServiceClient


@pytest.fixture(params=["sqlite", "postgresql", "replicas"])
def target(request: pytest.FixtureRequest, service_factory) -> tuple[str, ServiceClient]:
    """Embedded on SQLite, embedded on PostgreSQL, and two replicas on PostgreSQL and S3
    behind a load balancer."""
    if request.param == "replicas":
        return request.param, request.getfixturevalue("replicas")
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        return request.param, service_factory(database_url=server.new_database())
    return request.param, service_factory()


def test_conformance_suite_passes_all_workflows(target: tuple[str, ServiceClient]) -> None:
    backend, service = target
    service.create_registry("conformance", password=PASSWORD)
    report_dir = ARTIFACTS_DIR / "oci-conformance" / backend
    shutil.rmtree(report_dir, ignore_errors=True)
    report_dir.mkdir(parents=True)
    env = {
        **os.environ,
        "OCI_ROOT_URL": service.url,
        "OCI_NAMESPACE": "conformance/suite/repo",
        "OCI_CROSSMOUNT_NAMESPACE": "conformance/suite/other",
        "OCI_AUTOMATIC_CROSSMOUNT": "true",
        "OCI_USERNAME": "conformance",
        "OCI_PASSWORD": PASSWORD,
        "OCI_TEST_PULL": "1",
        "OCI_TEST_PUSH": "1",
        "OCI_TEST_CONTENT_DISCOVERY": "1",
        "OCI_TEST_CONTENT_MANAGEMENT": "1",
        "OCI_HIDE_SKIPPED_WORKFLOWS": "0",
        "OCI_REPORT_DIR": str(report_dir),
    }
    done = subprocess.run(
        [require_tool("oci-conformance"), "-ginkgo.no-color"],
        capture_output=True,
        text=True,
        env=env,
        cwd=report_dir,
        timeout=600,
    )
    (report_dir / "output.txt").write_text(done.stdout + done.stderr)
    assert done.returncode == 0, done.stdout[-6000:]

    suite = ElementTree.parse(report_dir / "junit.xml").getroot()
    if suite.tag == "testsuites":
        suite = suite.find("testsuite")
    assert suite is not None
    assert int(suite.get("failures", "0")) == 0
    assert int(suite.get("errors", "0")) == 0
    passed = int(suite.get("tests", "0")) - int(suite.get("skipped", "0") or 0)
    assert passed >= 70, f"only {passed} conformance specs ran"
    names = " ".join(case.get("name", "") for case in suite.iter("testcase"))
    for workflow in ("Pull", "Push", "Content Discovery", "Content Management"):
        assert workflow in names
