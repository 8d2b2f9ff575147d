"""The provider's outputs follow the service's endpoint style: in host style a registry's
endpoint, push commands and Docker config are keyed by its own host."""

from __future__ import annotations

from tests.support.ports import free_port, resolves

from .helpers import PROGRAMS, provider_env


def test_push_command_names_the_registrys_own_host(pulumi, service_factory):
    assert resolves("push-registry.localhost"), "*.localhost does not resolve: run `make deps`"
    port = free_port()
    service = service_factory(
        port=port,
        extra_args=["--endpoint-style", "host", "--public-url", f"http://localhost:{port}"],
    )
    ws = pulumi(PROGRAMS / "push-command-yaml", stack="dev", env=provider_env(service))
    ws.up()
    push = ws.outputs()["push"]
    host = f"push-registry.localhost:{port}"
    assert push["image"] == f"{host}/team/app:v2.1.0"
    assert push["loginCommand"] == f"docker login {host} -u push-registry"
    assert push["pushCommand"] == f"docker push {host}/team/app:v2.1.0"
