"""Options and their environment variables: the option wins, bad values name themselves."""

from __future__ import annotations

import pytest
from cloudraya_registry.cli import build_parser, service_config
from cloudraya_registry.config import ConfigError


def _config(*options: str, **environ: str):
    args = build_parser().parse_args(["serve", "--data-dir", "/tmp/x", *options])
    return service_config(args, environ)


def test_defaults_environment_and_options() -> None:
    default = _config()
    assert default.trusted_proxies == ()
    assert default.upload_expiry_seconds == 24 * 3600
    assert default.max_open_uploads == 64
    from_env = _config(CLOUDRAYA_UPLOAD_EXPIRY="90m", CLOUDRAYA_TRUSTED_PROXIES="10.0.0.0/8,::1")
    assert from_env.upload_expiry_seconds == 5400
    assert from_env.trusted_proxies == ("10.0.0.0/8", "::1/128")
    both = _config(
        "--upload-expiry", "7d", "--trusted-proxy", "192.0.2.1", CLOUDRAYA_UPLOAD_EXPIRY="1h"
    )
    assert both.upload_expiry_seconds == 7 * 86400
    assert both.trusted_proxies == ("192.0.2.1/32",)


@pytest.mark.parametrize(
    ("options", "environ", "named"),
    [
        (["--upload-expiry", "soon"], {}, "--upload-expiry (CLOUDRAYA_UPLOAD_EXPIRY)"),
        (["--trusted-proxy", "proxy.local"], {}, "--trusted-proxy"),
        ([], {"CLOUDRAYA_MAX_OPEN_UPLOADS": "0"}, "--max-open-uploads"),
        ([], {"CLOUDRAYA_PASSWORD_WORKERS": "9" * 5000}, "--password-workers"),
        ([], {"CLOUDRAYA_BOOTSTRAP_TOKEN": "x"}, "CLOUDRAYA_BOOTSTRAP_TOKEN has 1 characters"),
    ],
)
def test_a_bad_value_is_refused_naming_the_setting(options, environ, named) -> None:
    with pytest.raises(ConfigError) as refused:
        _config(*options, **environ)
    assert named in str(refused.value)


def test_native_tls_runs_one_process_and_refuses_more(tmp_path) -> None:
    from tests.support.tls import make_certificate

    certificate = make_certificate(tmp_path / "tls")
    tls = ("--tls-cert", str(certificate.cert), "--tls-key", str(certificate.key))
    assert _config(*tls).workers == 1
    assert _config("--workers", "3").workers == 3
    with pytest.raises(ConfigError) as refused:
        _config(*tls, "--workers", "2")
    assert "--workers 2 with --tls-cert" in str(refused.value)
    assert "terminate TLS at a proxy" in str(refused.value)
