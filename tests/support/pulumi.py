"""The real Pulumi CLI, run hermetically: own PULUMI_HOME, file backend, passphrase secrets."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

from tests.support.dist import PYTHON_ENV_BIN
from tests.support.paths import require_tool, search_path

PASSPHRASE = "correct horse battery staple"
COMMAND_TIMEOUT_S = 600
_UNATTENDED = ("--yes", "--non-interactive", "--skip-preview")


def hermetic_env(state_dir: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment in which the CLI touches nothing outside ``state_dir`` and the network."""
    env = {k: v for k, v in (base or os.environ).items() if not k.startswith("PULUMI_")}
    home = state_dir / "pulumi-home"
    backend = state_dir / "backend"
    home.mkdir(parents=True, exist_ok=True)
    backend.mkdir(parents=True, exist_ok=True)
    env.update(
        PATH=search_path(env.get("PATH")),
        PULUMI_HOME=str(home),
        PULUMI_BACKEND_URL=f"file://{backend}",
        PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK="true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        # Python programs run where the SDK is installed from its wheel, as users have it.
        PULUMI_PYTHON_CMD=str(PYTHON_ENV_BIN / "python"),
        PULUMI_SKIP_CONFIRMATIONS="true",
    )
    return env


class PulumiCommandError(AssertionError):
    def __init__(self, result: subprocess.CompletedProcess[str]) -> None:
        self.result = result
        super().__init__(
            f"`{shlex.join(result.args)}` exited {result.returncode}\n"
            f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
        )


class PulumiWorkspace:
    """One program directory and one selected stack."""

    def __init__(
        self, program_dir: Path, state_dir: Path, stack: str, env: dict[str, str] | None = None
    ) -> None:
        self.program_dir = program_dir
        self.state_dir = state_dir
        self.stack = stack
        self.env = hermetic_env(state_dir)
        self.env.update(env or {})
        self.pulumi = require_tool("pulumi")

    def run(
        self,
        *args: str,
        check: bool = True,
        env: dict[str, str] | None = None,
        stack: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        cmd = [self.pulumi, "--color=never", *args]
        if stack:
            cmd += ["--stack", self.stack]
        result = subprocess.run(
            cmd,
            cwd=self.program_dir,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
        )
        if check and result.returncode != 0:
            raise PulumiCommandError(result)
        return result

    def init_stack(self) -> PulumiWorkspace:
        self.run("stack", "init", self.stack, stack=False)
        return self

    def select_stack(self, stack: str, create: bool = True) -> PulumiWorkspace:
        self.stack = stack
        existing = self.run("stack", "ls", "--json", stack=False)
        names = {s["name"].split("/")[-1] for s in json.loads(existing.stdout or "[]")}
        if stack not in names and create:
            self.init_stack()
        return self

    def config_set(self, key: str, value: str, secret: bool = False) -> None:
        # `--` ends the flags so a value may start with "-"; nothing may follow the value.
        kind = "--secret" if secret else "--plaintext"
        self.run("config", "set", key, kind, "--stack", self.stack, "--", value, stack=False)

    def up(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("up", *_UNATTENDED, *args, check=check)

    def preview(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("preview", "--non-interactive", *args, check=check)

    def refresh(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("refresh", *_UNATTENDED, *args, check=check)

    def destroy(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("destroy", *_UNATTENDED, *args, check=check)

    def import_(
        self, type_token: str, name: str, resource_id: str, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return self.run(
            "import", type_token, name, resource_id,
            "--yes", "--non-interactive", "--protect=false", "--generate-code=false",
            *args, check=check,
        )  # fmt: skip

    def outputs(self, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "output", "--json"] + (["--show-secrets"] if show_secrets else [])
        return json.loads(self.run(*args).stdout or "{}")

    def export(self) -> dict[str, Any]:
        return json.loads(self.run("stack", "export").stdout)
