"""The gRPC layer: Pulumi's ResourceProvider protocol turned into typed resource calls.

This module knows the protocol (Structs, secrets, unknowns, preview, detailed diffs, partial
failures) and nothing about registries: it dispatches by type token to `Resource` objects and
to invoke functions built by `catalog.py`.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import grpc
from google.protobuf import any_pb2, empty_pb2
from google.rpc import status_pb2

from . import __version__, config, schema, wire
from .api import ApiError, Unreachable
from .engine_log import EngineLog
from .framework import (
    CheckContext,
    CheckFailure,
    DiffResult,
    Operation,
    PartialFailure,
    PropertyChange,
    Props,
    Resource,
    ResourceError,
)
from .functions import Function
from .protocol import plugin_pb2, provider_pb2, provider_pb2_grpc
from .values import UNKNOWN

if TYPE_CHECKING:
    from .client import CloudRayaClient

CatalogFactory = Callable[["CloudRayaClient"], tuple[dict[str, Resource], dict[str, Function]]]
CONFIG_SECRETS = config.SPEC.secret_inputs
AUTONAMING_MODES = {0: "propose", 1: "enforce", 2: "disable"}
KIND = provider_pb2.PropertyDiff


class ProviderServicer(provider_pb2_grpc.ResourceProviderServicer):
    def __init__(
        self,
        catalog: CatalogFactory,
        client_factory: Callable[..., CloudRayaClient] | None = None,
        engine: EngineLog | None = None,
    ) -> None:
        self._catalog = catalog
        self._client_factory = client_factory
        self._engine = engine or EngineLog(None)
        self._resources: dict[str, Resource] = {}
        self._functions: dict[str, Function] = {}
        self._accept_secrets = True

    # --- plugin metadata --------------------------------------------------------------------

    def Handshake(self, request, context):
        return provider_pb2.ProviderHandshakeResponse(
            accept_secrets=True,
            accept_resources=False,
            accept_outputs=False,
            supports_autonaming_configuration=True,
        )

    def GetPluginInfo(self, request, context):
        return plugin_pb2.PluginInfo(version=__version__)

    def GetSchema(self, request, context):
        return provider_pb2.GetSchemaResponse(schema=schema.render())

    def Cancel(self, request, context):
        return empty_pb2.Empty()

    # --- configuration ----------------------------------------------------------------------

    def CheckConfig(self, request, context):
        olds, _ = wire.decode(request.olds)
        news, secrets = wire.decode(request.news)
        inputs, failures = config.check_config(news)
        if problem := config.endpoint_change_problem(olds, inputs):
            failures.append(CheckFailure("endpoint", problem))
        if not failures and (problem := self._unreachable(inputs)):
            failures.append(CheckFailure("endpoint", problem))
        return provider_pb2.CheckResponse(
            inputs=wire.encode(inputs, secrets | CONFIG_SECRETS),
            failures=_failures(failures),
        )

    def DiffConfig(self, request, context):
        olds, _ = wire.decode(
            request.old_inputs if request.HasField("old_inputs") else request.olds
        )
        news, _ = wire.decode(request.news)
        # CheckConfig refuses a change of service; this catches a provider that was replaced
        # by another one (a new name or version) pointing elsewhere.
        if problem := config.endpoint_change_problem(olds, news):
            _abort(context, grpc.StatusCode.UNKNOWN, problem)
        diff = DiffResult()
        for key in ("endpoint", "apiToken"):
            if olds.get(key) != news.get(key):
                diff.changes[key] = PropertyChange("update")
        return _diff_response(diff)

    def Configure(self, request, context):
        with _errors(context, "configure the cloudraya provider"):
            args, _ = wire.decode(request.args)
            if not args:
                prefix = "cloudraya:config:"
                args = {
                    key.removeprefix(prefix): value
                    for key, value in request.variables.items()
                    if key.startswith(prefix)
                }
            settings = config.resolve(args)
            client = self._new_client(settings)
            try:
                client.check_access()
            except Unreachable as exc:
                raise ValueError(_unreachable_message(settings, exc)) from None
            self._resources, self._functions = self._catalog(client)
            self._accept_secrets = request.acceptSecrets
        return provider_pb2.ConfigureResponse(
            acceptSecrets=True,
            supportsPreview=True,
            acceptResources=False,
            acceptOutputs=False,
            supports_autonaming_configuration=True,
        )

    def _new_client(self, settings: config.ProviderConfig):
        if self._client_factory is None:
            from .client import CloudRayaClient  # loads httpx: only a plugin that is used

            self._client_factory = CloudRayaClient
        return self._client_factory(
            settings.endpoint, settings.api_token, ca_bundle=settings.ca_bundle
        )

    def _unreachable(self, inputs) -> str | None:
        """Why the service cannot be reached, found at CheckConfig.

        A failed Configure makes the engine cancel the program's pending registrations (Python
        programs print a traceback for each); a CheckConfig failure is one line on `endpoint`.
        Values not known yet (computed from other resources) are checked by Configure.
        """
        if any(value is UNKNOWN for value in inputs.values()):
            return None
        try:
            settings = config.resolve(inputs)
        except ValueError:
            return None
        try:
            self._new_client(settings).check_health()
        except Unreachable as exc:
            return _unreachable_message(settings, exc)
        return None

    # --- functions --------------------------------------------------------------------------

    def Invoke(self, request, context):
        function = self._functions.get(request.tok)
        if function is None:
            _abort(context, grpc.StatusCode.UNIMPLEMENTED, f"unknown function {request.tok}")
        args, _ = wire.decode(request.args)
        checked, failures = function.spec.check(args)
        if failures:
            return provider_pb2.InvokeResponse(failures=_failures(failures))
        with _errors(context, request.tok):
            result = function.call(checked)
        return provider_pb2.InvokeResponse(**{"return": wire.encode(result)})

    # --- resources --------------------------------------------------------------------------

    def Check(self, request, context):
        resource = self._resource(request.type or _type_of(request.urn), context)
        olds, _ = wire.decode(request.olds)
        news, news_secrets = wire.decode(request.news)
        naming = request.autonaming if request.HasField("autonaming") else None
        ctx = CheckContext(
            resource_name=request.name or request.urn.rsplit("::", 1)[-1],
            random_seed=request.randomSeed,
            proposed_name=(naming.proposed_name or None) if naming else None,
            autonaming=AUTONAMING_MODES.get(naming.mode) if naming else None,
        )
        with _errors(context, f"check {request.urn}"):
            result = resource.check(ctx, olds, news)
        secrets = news_secrets | resource.secret_inputs
        return provider_pb2.CheckResponse(
            inputs=wire.encode(result.inputs, secrets), failures=_failures(result.failures)
        )

    def Diff(self, request, context):
        resource = self._resource(request.type or _type_of(request.urn), context)
        old_state, _ = wire.decode(request.olds)
        old_inputs, _ = (
            wire.decode(request.old_inputs) if request.HasField("old_inputs") else (old_state, None)
        )
        news, _ = wire.decode(request.news)
        with _errors(context, f"diff {request.urn}"):
            diff = resource.diff(request.id, old_state, old_inputs, news)
        return _diff_response(diff)

    def Create(self, request, context):
        resource = self._resource(request.type or _type_of(request.urn), context)
        inputs, secrets = wire.decode(request.properties)
        op = self._operation(request.urn, request.timeout)
        if request.preview:
            with _errors(context, f"preview {request.urn}"):
                state = resource.preview_create(inputs, op)
            return provider_pb2.CreateResponse(
                id="", properties=self._outputs(resource, state, secrets)
            )
        with _errors(context, f"create {request.urn}", resource, secrets):
            id, state = resource.create(inputs, op)
        return provider_pb2.CreateResponse(
            id=id, properties=self._outputs(resource, state, secrets)
        )

    def Read(self, request, context):
        resource = self._resource(request.type or _type_of(request.urn), context)
        state, state_secrets = wire.decode(request.properties)
        inputs, input_secrets = wire.decode(request.inputs)
        op = self._operation(request.urn, request.timeout)
        with _errors(context, f"read {request.urn}"):
            result = resource.read(request.id, state, inputs, op)
        if result is None:
            return provider_pb2.ReadResponse(id="")
        secrets = state_secrets | input_secrets
        return provider_pb2.ReadResponse(
            id=result.id,
            properties=self._outputs(resource, result.state, secrets),
            inputs=wire.encode(
                result.inputs, self._secrets(input_secrets | resource.secret_inputs)
            ),
        )

    def Update(self, request, context):
        resource = self._resource(request.type or _type_of(request.urn), context)
        old_state, _ = wire.decode(request.olds)
        old_inputs, _ = (
            wire.decode(request.old_inputs) if request.HasField("old_inputs") else (old_state, None)
        )
        news, secrets = wire.decode(request.news)
        op = self._operation(request.urn, request.timeout)
        if request.preview:
            with _errors(context, f"preview {request.urn}"):
                state = resource.preview_update(request.id, old_state, old_inputs, news, op)
            return provider_pb2.UpdateResponse(properties=self._outputs(resource, state, secrets))
        with _errors(context, f"update {request.urn}", resource, secrets):
            state = resource.update(request.id, old_state, old_inputs, news, op)
        return provider_pb2.UpdateResponse(properties=self._outputs(resource, state, secrets))

    def Delete(self, request, context):
        resource = self._resource(request.type or _type_of(request.urn), context)
        state, _ = wire.decode(request.properties)
        op = self._operation(request.urn, request.timeout)
        with _errors(context, f"delete {request.urn}"):
            resource.delete(request.id, state, op)
        return empty_pb2.Empty()

    # --- helpers ----------------------------------------------------------------------------

    def _resource(self, token: str, context) -> Resource:
        resource = self._resources.get(token)
        if resource is None:
            if not self._resources:
                _abort(context, grpc.StatusCode.FAILED_PRECONDITION, "provider is not configured")
            _abort(context, grpc.StatusCode.UNIMPLEMENTED, f"unknown resource type {token}")
        return resource

    def _operation(self, urn: str, timeout: float) -> Operation:
        """The call's URN, its deadline (the resource's customTimeouts) and a way to speak."""
        deadline = time.monotonic() + timeout if timeout > 0 else None
        return Operation(
            urn=urn,
            deadline=deadline,
            say=lambda severity, message: self._engine.say(urn, severity, message),
        )

    def _secrets(self, names: set[str] | frozenset[str]) -> frozenset[str]:
        """Secret properties to wrap, or none for an engine that does not accept secrets."""
        return frozenset(names) if self._accept_secrets else frozenset()

    def _outputs(self, resource: Resource, state: Props, input_secrets: set[str]):
        return wire.encode(state, self._secrets(resource.secret_outputs | input_secrets))


def _type_of(urn: str) -> str:
    # urn:pulumi:stack::project::[parent$]type::name
    return urn.split("::")[-2].split("$")[-1]


def _failures(failures: list[CheckFailure]) -> list:
    """Check failures for the engine, naming no property: the engine would print the value of
    that property next to the reason, in its own notation (`<nil>`, `map[...]`) and, for a
    secret the program did not mark as one, in clear. The reason names the property instead."""
    return [
        provider_pb2.CheckFailure(
            reason=f.reason if f.property in f.reason else f"{f.property}: {f.reason}"
        )
        for f in failures
    ]


def _diff_response(diff: DiffResult) -> provider_pb2.DiffResponse:
    detailed = {}
    for name, change in diff.changes.items():
        kind = {
            ("add", False): KIND.ADD,
            ("add", True): KIND.ADD_REPLACE,
            ("delete", False): KIND.DELETE,
            ("delete", True): KIND.DELETE_REPLACE,
            ("update", False): KIND.UPDATE,
            ("update", True): KIND.UPDATE_REPLACE,
        }[(change.kind, change.replace)]
        detailed[name] = provider_pb2.PropertyDiff(kind=kind, inputDiff=change.input_diff)
    return provider_pb2.DiffResponse(
        changes=(
            provider_pb2.DiffResponse.DIFF_SOME
            if diff.changes
            else provider_pb2.DiffResponse.DIFF_NONE
        ),
        replaces=diff.replaces,
        diffs=list(diff.changes),
        detailedDiff=detailed,
        hasDetailedDiff=True,
        deleteBeforeReplace=diff.delete_before_replace,
    )


def _abort(context, code: grpc.StatusCode, message: str) -> NoReturn:
    context.abort(code, message)
    raise AssertionError("context.abort returned")  # pragma: no cover


@contextmanager
def _errors(
    context, action: str, resource: Resource | None = None, secrets: set[str] | None = None
) -> Iterator[None]:
    """Turn failures into gRPC errors with a message for the user, never a stack trace."""
    try:
        yield
    except PartialFailure as failure:
        secret_names = (resource.secret_outputs if resource else frozenset()) | (secrets or set())
        detail = provider_pb2.ErrorResourceInitFailed(
            id=failure.id,
            properties=wire.encode(failure.state, secret_names),
            inputs=wire.encode(failure.inputs, secret_names),
            reasons=[failure.reason],
        )
        packed = any_pb2.Any()
        packed.Pack(detail)
        status = status_pb2.Status(
            code=grpc.StatusCode.UNKNOWN.value[0], message=failure.reason, details=[packed]
        )
        context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
        _abort(context, grpc.StatusCode.UNKNOWN, failure.reason)
    except (ResourceError, ApiError, ValueError) as exc:
        _abort(context, grpc.StatusCode.UNKNOWN, str(exc))
    except Exception as exc:
        if os.environ.get("CLOUDRAYA_PROVIDER_DEBUG"):
            traceback.print_exc(file=sys.stderr)
        _abort(
            context,
            grpc.StatusCode.INTERNAL,
            f"cloudraya provider failed to {action}: internal error ({type(exc).__name__}); "
            "set CLOUDRAYA_PROVIDER_DEBUG=1 to print details to the provider log",
        )


def _unreachable_message(settings: config.ProviderConfig, exc: Unreachable) -> str:
    return (
        f"cannot reach the CloudRaya service at {settings.endpoint} "
        f"(cloudraya:endpoint or CLOUDRAYA_ENDPOINT): {exc.reason}"
    )
