"""RetentionPolicy, RegistryCredential, getRetentionPreview and the immutability exclusions,
against the real service (in-process): checks, the preview's warning, drift and rotation."""

from __future__ import annotations

import pytest
from cloudraya_provider.catalog import catalog
from cloudraya_provider.client import CloudRayaClient
from cloudraya_provider.framework import CheckContext, Operation
from cloudraya_provider.functions import GET_RETENTION_PREVIEW
from cloudraya_provider.registry_credential import RegistryCredential
from cloudraya_provider.registry_settings import RegistrySettings
from cloudraya_provider.retention_policy import RetentionPolicy

from tests.service.oci_helpers import OciClient, make_image, registry_with_client
from tests.support.inprocess import InProcessService

REGISTRY = "life-registry"
CTX = CheckContext(resource_name="thing")


class Said:
    """An Operation whose messages are kept, as the engine would show them."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.op = Operation(say=lambda severity, message: self.messages.append((severity, message)))


@pytest.fixture
def client(service: InProcessService) -> CloudRayaClient:
    return CloudRayaClient(service.url, service.token, attempts=1)


@pytest.fixture
def pushed(service: InProcessService) -> OciClient:
    oci = registry_with_client(service, REGISTRY)
    for tag in ("build-1", "build-2", "build-3", "v1.0.0"):
        assert oci.push_image(f"{REGISTRY}/app", make_image(100), tag).status_code == 201
    return oci


RULES = [{"repositoryPattern": "app", "keepLastPushed": 1, "keepTagPatterns": ["v*"]}]


def test_preview_of_a_policy_warns_how_many_artifacts_and_which_tags_it_deletes(
    client: CloudRayaClient, pushed: OciClient
) -> None:
    resource = RetentionPolicy(client)
    inputs = resource.check(CTX, {}, {"registry": REGISTRY, "rules": RULES}).inputs
    said = Said()
    preview = resource.preview_create(inputs, said.op)
    assert preview["wouldDelete"]["artifacts"] == 3
    assert sorted(preview["wouldDelete"]["tags"]) == ["app:build-1", "app:build-2", "app:build-3"]
    [(severity, message)] = said.messages
    assert severity == "warning"
    assert "would delete 3 artifacts" in message and "app:build-1" in message
    # Nothing was deleted by the preview.
    assert pushed.get_manifest(f"{REGISTRY}/app", "build-1").status_code == 200


def test_policy_lifecycle_reads_back_equal_and_detects_drift(
    client: CloudRayaClient, pushed: OciClient, service: InProcessService
) -> None:
    resource = RetentionPolicy(client)
    inputs = resource.check(CTX, {}, {"registry": REGISTRY, "rules": RULES}).inputs
    id, state = resource.create(inputs, Operation())
    assert state["wouldDelete"]["artifacts"] == 3
    read = resource.read(id, state, inputs, Operation())
    assert read is not None
    assert resource.diff(id, read.state, read.inputs, inputs).changes == {}
    with service.api() as api:
        api.put(
            f"/registries/{REGISTRY}/retention-policy",
            json={"rules": [{"keep_last_pushed": 9}], "schedule": "daily"},
        )
    drifted = resource.read(id, state, inputs, Operation())
    assert set(resource.diff(id, drifted.state, drifted.inputs, inputs).changes) == {"rules"}
    resource.delete(id, state, Operation())
    assert resource.read(id, state, inputs, Operation()) is None


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        ([{"repositoryPattern": "app"}], "set at least one of"),
        ([{"keepLastPushed": 0}], "keepLastPushed 0 is not allowed"),
        ([{"keepTagPatterns": ["v 1"]}], "not a tag pattern"),
        ([{"repositoryPattern": "App", "keepLastPushed": 1}], "not a repository pattern"),
        ([{"keepLastPushed": 1, "keepForever": True}], "unknown property"),
    ],
)
def test_bad_rules_fail_at_preview(client: CloudRayaClient, rules: list, words: str) -> None:
    failures = (
        RetentionPolicy(client).check(CTX, {}, {"registry": REGISTRY, "rules": rules}).failures
    )
    assert failures and any(words in f.reason for f in failures), failures


def test_bad_schedule_fails_at_preview(client: CloudRayaClient) -> None:
    result = RetentionPolicy(client).check(
        CTX, {}, {"registry": REGISTRY, "rules": RULES, "schedule": "weekly"}
    )
    assert any("`hourly`" in f.reason for f in result.failures)


def test_get_retention_preview_lists_every_deletion(
    client: CloudRayaClient, pushed: OciClient
) -> None:
    _, functions = catalog(client)
    result = functions[GET_RETENTION_PREVIEW.token].call({"registry": REGISTRY, "rules": RULES})
    assert result["artifactCount"] == 3
    tags = sorted(t for d in result["deletions"] for t in d["tags"])
    assert tags == ["build-1", "build-2", "build-3"]


def test_credential_create_read_rotate_and_revocation_drift(
    client: CloudRayaClient, pushed: OciClient, service: InProcessService
) -> None:
    resource = RegistryCredential(client)
    inputs = resource.check(CTX, {}, {"registry": REGISTRY, "name": "puller"}).inputs
    assert inputs["access"] == "pull"
    id, state = resource.create(inputs, Operation())
    assert id == f"{REGISTRY}/puller"
    assert state["username"] == f"{REGISTRY}+puller"
    assert '"auths"' in state["dockerConfigJson"]
    reader = OciClient(service, state["username"], state["password"])
    assert reader.get_manifest(f"{REGISTRY}/app", "v1.0.0").status_code == 200

    read = resource.read(id, state, inputs, Operation())
    assert read is not None and read.state["password"] == state["password"]
    assert resource.diff(id, read.state, read.inputs, inputs).changes == {}

    rotated = resource.update(id, state, inputs, {**inputs, "keepers": {"r": "2"}}, Operation())
    assert rotated["password"] != state["password"]
    assert reader.get_manifest(f"{REGISTRY}/app", "v1.0.0").status_code == 401

    # Rotated elsewhere: the stack's password is gone from the state and an update is planned.
    with service.api() as api:
        api.post(f"/registries/{REGISTRY}/credentials/puller/rotate")
    stale = resource.read(id, rotated, inputs, Operation())
    assert stale is not None and "password" not in stale.state
    assert "keepers" in resource.diff(id, stale.state, stale.inputs, inputs).changes

    with service.api() as api:
        assert api.delete(f"/registries/{REGISTRY}/credentials/puller").status_code == 204
    assert resource.read(id, rotated, inputs, Operation()) is None


@pytest.mark.parametrize(
    ("props", "words"),
    [
        ({"name": "Bad_Name"}, "not a credential name"),
        ({"name": "ci", "access": "delete"}, "`pull`"),
        ({"name": "ci", "repositories": ["App"]}, "not a repository pattern"),
        ({"name": "ci", "expiresAt": "tomorrow"}, "RFC 3339"),
        ({"name": "ci", "expiresAt": "2001-01-01T00:00:00Z"}, "in the past"),
    ],
)
def test_bad_credential_inputs_fail_at_preview(
    client: CloudRayaClient, props: dict, words: str
) -> None:
    failures = RegistryCredential(client).check(CTX, {}, {"registry": REGISTRY, **props}).failures
    assert failures and any(words in f.reason for f in failures), failures


def test_immutability_exclusions_round_trip(client: CloudRayaClient, pushed: OciClient) -> None:
    resource = RegistrySettings(client)
    news = {"registry": REGISTRY, "tagImmutability": True, "tagImmutabilityExclusions": ["latest"]}
    inputs = resource.check(CTX, {}, news).inputs
    id, state = resource.create(inputs, Operation())
    assert state["tagImmutabilityExclusions"] == ["latest"]
    read = resource.read(id, state, inputs, Operation())
    assert resource.diff(id, read.state, read.inputs, inputs).changes == {}
    bad = resource.check(CTX, {}, {**news, "tagImmutabilityExclusions": ["no spaces"]}).failures
    assert any("not a tag pattern" in f.reason for f in bad)
