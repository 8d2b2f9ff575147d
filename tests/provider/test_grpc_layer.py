"""The gRPC layer over a real gRPC channel: secrets, unknowns, preview, diffs, partial failures.

Only the HTTP service is faked (httpx.MockTransport); the protocol is exercised end to end.
"""

from __future__ import annotations

import json
from concurrent import futures

import grpc
import httpx
import pytest
from cloudraya_provider import wire
from cloudraya_provider.catalog import catalog
from cloudraya_provider.server import ProviderServicer
from google.protobuf import json_format, struct_pb2
from google.rpc import status_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from .fakes import HOST, TOKEN, FakeService

REGISTRY_URN = "urn:pulumi:dev::envs::cloudraya:index:Registry::dev"
PASSWORD_URN = "urn:pulumi:dev::envs::cloudraya:index:RegistryPassword::dev-password"
SECRET = {wire.SIG_KEY: wire.SECRET_SIG}


def struct(values: dict) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(values)
    return result


def secret(value):
    return {**SECRET, "value": value}


@pytest.fixture
def fake():
    return FakeService()


@pytest.fixture
def provider(fake):
    servicer = ProviderServicer(
        catalog, client_factory=lambda endpoint, token, **_: fake.client(token=token)
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield provider_pb2_grpc.ResourceProviderStub(channel)
    channel.close()
    server.stop(None)


def configure(stub, accept_secrets=True):
    stub.Configure(
        provider_pb2.ConfigureRequest(
            args=struct({"endpoint": f"http://{HOST}", "apiToken": secret(TOKEN)}),
            acceptSecrets=accept_secrets,
        )
    )


def create_registry(stub, props, preview=False):
    checked = stub.Check(
        provider_pb2.CheckRequest(
            urn=REGISTRY_URN,
            name="dev",
            type="cloudraya:index:Registry",
            news=struct(props),
            randomSeed=b"seed",
        )
    )
    assert list(checked.failures) == []
    return checked, stub.Create(
        provider_pb2.CreateRequest(
            urn=REGISTRY_URN,
            type="cloudraya:index:Registry",
            properties=checked.inputs,
            preview=preview,
        )
    )


def plain(message):
    """A Struct/ListValue (or a value taken from one) as plain Python data."""
    if isinstance(message, (struct_pb2.Struct, struct_pb2.ListValue)):
        return json_format.MessageToDict(message)
    return message


def test_configure_without_endpoint_names_the_key_and_the_env_var(provider, monkeypatch):
    monkeypatch.delenv("CLOUDRAYA_ENDPOINT", raising=False)
    monkeypatch.delenv("CLOUDRAYA_API_TOKEN", raising=False)
    with pytest.raises(grpc.RpcError) as failure:
        provider.Configure(provider_pb2.ConfigureRequest(args=struct({"apiToken": "x"})))
    assert "cloudraya:endpoint" in failure.value.details()
    assert "CLOUDRAYA_ENDPOINT" in failure.value.details()


def test_check_config_reports_a_missing_token(provider, monkeypatch):
    monkeypatch.delenv("CLOUDRAYA_API_TOKEN", raising=False)
    response = provider.CheckConfig(
        provider_pb2.CheckRequest(news=struct({"endpoint": "http://127.0.0.1:1"}))
    )
    [failure] = response.failures
    assert "cloudraya:apiToken" in failure.reason
    assert "CLOUDRAYA_API_TOKEN" in failure.reason


def test_configure_with_a_wrong_token_fails_with_the_service_answer(provider):
    with pytest.raises(grpc.RpcError) as failure:
        provider.Configure(
            provider_pb2.ConfigureRequest(
                args=struct({"endpoint": f"http://{HOST}", "apiToken": "wrong"}),
            )
        )
    assert "401" in failure.value.details()


def test_preview_create_changes_nothing_and_returns_unknown_outputs(provider, fake):
    configure(provider)
    _, created = create_registry(provider, {"name": "dev-registry"}, preview=True)
    assert fake.calls("POST") == fake.calls("PUT") == fake.calls("PATCH") == []
    assert created.properties["endpoint"] == wire.UNKNOWN_SENTINEL
    assert fake.registries == {}


def test_password_is_a_secret_in_checked_inputs_and_outputs(provider, fake):
    configure(provider)
    checked, created = create_registry(
        provider, {"name": "dev-registry", "password": "Explicit-Passw0rd"}
    )
    assert plain(checked.inputs["password"]) == secret("Explicit-Passw0rd")
    assert plain(created.properties["password"]) == secret("Explicit-Passw0rd")
    assert created.properties["endpoint"] == f"{HOST}/dev-registry"
    assert created.id == "dev-registry"


def test_generated_password_output_is_secret(provider, fake):
    configure(provider)
    _, created = create_registry(provider, {"name": "dev-registry"})
    assert plain(created.properties["password"])[wire.SIG_KEY] == wire.SECRET_SIG


def test_secrets_are_not_wrapped_for_an_engine_that_does_not_accept_them(provider, fake):
    configure(provider, accept_secrets=False)
    _, created = create_registry(provider, {"name": "dev-registry"})
    assert isinstance(created.properties["password"], str)


def test_docker_config_json_output_is_secret(provider, fake):
    configure(provider)
    fake.client().create_registry("dev-registry", storage_gb=10, password="Initial-Passw0rd-1")
    created = provider.Create(
        provider_pb2.CreateRequest(
            urn=PASSWORD_URN,
            type="cloudraya:index:RegistryPassword",
            properties=struct({"registry": "dev-registry"}),
        )
    )
    config = plain(created.properties["dockerConfigJson"])
    assert config[wire.SIG_KEY] == wire.SECRET_SIG
    assert HOST in json.loads(config["value"])["auths"]


def test_rename_is_a_replace_and_shrink_fails_check(provider, fake):
    configure(provider)
    checked, created = create_registry(provider, {"name": "dev-registry", "storageGb": 20})
    renamed = dict(plain(checked.inputs), name="dev-registry-2")
    diff = provider.Diff(
        provider_pb2.DiffRequest(
            id=created.id,
            urn=REGISTRY_URN,
            type="cloudraya:index:Registry",
            olds=created.properties,
            old_inputs=checked.inputs,
            news=struct(renamed),
        )
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == ["name"]
    assert diff.detailedDiff["name"].kind == provider_pb2.PropertyDiff.UPDATE_REPLACE
    assert diff.deleteBeforeReplace is False

    shrunk = dict(plain(checked.inputs), storageGb=10)
    rechecked = provider.Check(
        provider_pb2.CheckRequest(
            urn=REGISTRY_URN, name="dev", type="cloudraya:index:Registry",
            olds=checked.inputs, news=struct(shrunk),
        )
    )  # fmt: skip
    [failure] = rechecked.failures
    assert "storageGb" in failure.reason
    assert "dev-registry has 20 GB" in failure.reason


def test_partial_update_failure_carries_the_new_state(provider, fake):
    configure(provider)
    checked, created = create_registry(provider, {"name": "dev-registry"})
    fake.fail("POST", r".*/password", httpx.Response(400, json={}))
    news = dict(plain(checked.inputs), storageGb=20, password=secret("Another-Passw0rd"))

    with pytest.raises(grpc.RpcError) as failure:
        provider.Update(
            provider_pb2.UpdateRequest(
                id=created.id,
                urn=REGISTRY_URN,
                type="cloudraya:index:Registry",
                olds=created.properties,
                old_inputs=checked.inputs,
                news=struct(news),
            )
        )

    details = dict(failure.value.trailing_metadata())["grpc-status-details-bin"]
    status = status_pb2.Status.FromString(details)
    init_failed = provider_pb2.ErrorResourceInitFailed()
    assert status.details[0].Unpack(init_failed)
    assert init_failed.id == "dev-registry"
    assert init_failed.properties["storageGb"] == 20
    assert plain(init_failed.properties["password"])[wire.SIG_KEY] == wire.SECRET_SIG
    assert "Another-Passw0rd" not in failure.value.details()


def test_read_of_a_deleted_registry_returns_no_id(provider, fake):
    configure(provider)
    _, created = create_registry(provider, {"name": "dev-registry"})
    del fake.registries["dev-registry"]
    read = provider.Read(
        provider_pb2.ReadRequest(
            id=created.id,
            urn=REGISTRY_URN,
            type="cloudraya:index:Registry",
            properties=created.properties,
        )
    )
    assert read.id == ""


def test_invoke_get_push_command_carries_the_service_notes_and_names_each_output(provider, fake):
    configure(provider)
    fake.client().create_registry("dev-registry", storage_gb=10, password="Initial-Passw0rd-1")
    response = provider.Invoke(
        provider_pb2.InvokeRequest(
            tok="cloudraya:index:getPushCommand",
            args=struct({"registry": "dev-registry", "repository": "my-app", "tag": "v1"}),
        )
    )
    result = plain(getattr(response, "return"))
    assert result["image"] == f"{HOST}/dev-registry/my-app:v1"
    assert result["tag"] == "v1"
    assert result["tagCommand"] == f"docker tag my-app:v1 {HOST}/dev-registry/my-app:v1"
    assert result["commands"] == [
        result["loginCommand"],
        result["buildCommand"],
        result["tagCommand"],
        result["pushCommand"],
    ]
    assert result["plainHttp"] is True
    assert any("plain HTTP" in note for note in result["notes"])


def test_invoke_with_bad_arguments_answers_failures_not_an_error(provider, fake):
    configure(provider)
    response = provider.Invoke(
        provider_pb2.InvokeRequest(
            tok="cloudraya:index:getPushCommand",
            args=struct({"registry": "dev-registry", "repository": "My_App"}),
        )
    )
    [failure] = response.failures
    assert '"My_App" is not a valid repository name' in failure.reason
    assert fake.calls("GET") == ["GET /healthz", "GET /api/v1/registries"]  # configure only


def test_check_failures_name_no_property_so_the_engine_never_prints_a_value(provider, fake):
    configure(provider)
    checked = provider.Check(
        provider_pb2.CheckRequest(
            urn=REGISTRY_URN,
            type="cloudraya:index:Registry",
            news=struct({"name": "dev-registry", "password": "Short-1", "storageGb": None}),
        )
    )
    [failure] = checked.failures
    assert failure.property == ""
    assert failure.reason.startswith("password: ")
    assert "12-128 printable characters" in failure.reason
    assert "Short-1" not in failure.reason


def check_config(stub, news: dict, olds: dict | None = None):
    return stub.CheckConfig(
        provider_pb2.CheckRequest(
            urn="urn:pulumi:dev::envs::pulumi:providers:cloudraya::default",
            olds=struct(olds or {}),
            news=struct(news),
        )
    )


def test_check_config_records_the_endpoint_taken_from_the_environment(provider, monkeypatch):
    monkeypatch.setenv("CLOUDRAYA_ENDPOINT", "http://127.0.0.1:5080")
    monkeypatch.setenv("CLOUDRAYA_API_TOKEN", "token")
    response = check_config(provider, {"version": "0.1.0"})
    assert list(response.failures) == []
    assert plain(response.inputs) == {"version": "0.1.0", "endpoint": "http://127.0.0.1:5080"}


@pytest.mark.parametrize(
    ("old", "new", "refused"),
    [
        ("http://127.0.0.1:5080", "http://127.0.0.1:6080", True),
        ("http://registry.example:80/", "HTTP://Registry.Example", False),
        (None, "http://127.0.0.1:6080", False),  # state from before endpoints were recorded
    ],
)
def test_moving_a_provider_to_another_service_is_refused_at_check(
    provider, monkeypatch, old, new, refused
):
    monkeypatch.setenv("CLOUDRAYA_API_TOKEN", "token")
    olds = {"endpoint": old} if old else {}
    response = check_config(provider, {"endpoint": new}, olds)
    reasons = [failure.reason for failure in response.failures]
    if refused:
        [reason] = reasons
        assert f"cloudraya:endpoint changed from {old} to {new}" in reason
        assert "pulumi destroy" in reason and "pulumi stack export" in reason
    else:
        assert reasons == []


def test_preview_update_calls_nothing(provider, fake):
    configure(provider)
    checked, created = create_registry(provider, {"name": "dev-registry"})
    before = len(fake.requests)
    news = dict(plain(checked.inputs), storageGb=20)
    updated = provider.Update(
        provider_pb2.UpdateRequest(
            id=created.id, urn=REGISTRY_URN, type="cloudraya:index:Registry",
            olds=created.properties, old_inputs=checked.inputs, news=struct(news), preview=True,
        )
    )  # fmt: skip
    assert len(fake.requests) == before
    assert updated.properties["storageGb"] == 20
    assert fake.registries["dev-registry"].storage_gb == 10


def test_diff_config_refuses_a_provider_replaced_by_one_on_another_service(provider):
    with pytest.raises(grpc.RpcError) as refused:
        provider.DiffConfig(
            provider_pb2.DiffRequest(
                urn="urn:pulumi:dev::envs::pulumi:providers:cloudraya::default_0_1_0",
                old_inputs=struct({"endpoint": "http://127.0.0.1:5080"}),
                news=struct({"endpoint": "http://127.0.0.1:6080"}),
            )
        )
    assert "changed from http://127.0.0.1:5080 to http://127.0.0.1:6080" in refused.value.details()
    same = provider.DiffConfig(
        provider_pb2.DiffRequest(
            old_inputs=struct({"endpoint": "http://127.0.0.1:5080"}),
            news=struct({"endpoint": "http://127.0.0.1:5080/"}),
        )
    )
    assert same.replaces == []
