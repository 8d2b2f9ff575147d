"""examples/ci-drift-detection: the workflow's command fails on drift and names the property."""

from __future__ import annotations

import shlex
import string

import yaml

from .helpers import EXAMPLES, provider_env

WORKFLOW = EXAMPLES / "ci-drift-detection" / ".github" / "workflows" / "drift.yml"
COMMAND = ["pulumi", "preview", "--refresh", "--expect-no-changes"]
SECRETS = {
    "CLOUDRAYA_ENDPOINT",
    "CLOUDRAYA_API_TOKEN",
    "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_BACKEND_URL",
}


def load_workflow() -> dict:
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    return yaml.safe_load(WORKFLOW.read_text())


def drift_step(workflow: dict) -> tuple[dict, dict]:
    (job,) = workflow["jobs"].values()
    steps = [s for s in job["steps"] if shlex.split(s.get("run", "") or "x")[:2] == COMMAND[:2]]
    assert len(steps) == 1, steps
    return job, steps[0]


def test_workflow_runs_on_a_schedule_and_pull_requests_with_secrets_from_ci():
    workflow = load_workflow()
    triggers = workflow.get("on", workflow.get(True))
    assert triggers["schedule"][0]["cron"].split()[0].isdigit()
    assert len(triggers["schedule"][0]["cron"].split()) == 5
    assert "pull_request" in triggers

    job, step = drift_step(workflow)
    assert shlex.split(step["run"])[:4] == COMMAND
    env = {**job.get("env", {}), **step.get("env", {})}
    for name in SECRETS:
        assert env.get(name) == f"${{{{ secrets.{name} }}}}", (name, env.get(name))
    # Nothing secret is written into the workflow itself.
    assert "apiToken" not in WORKFLOW.read_text()
    assert job["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]


def workflow_command(stack: str) -> list[str]:
    """The workflow's exact command line, with the job's $STACK expanded for `stack`."""
    _, step = drift_step(load_workflow())
    return shlex.split(string.Template(step["run"]).substitute(STACK=stack))


def test_the_workflow_command_passes_without_drift_and_names_storage_gb_after_a_resize(
    pulumi, service
):
    ws = pulumi(
        EXAMPLES / "environments-yaml",
        stack="dev",
        env={**provider_env(service), "STACK": "dev"},
    )
    ws.up()
    command = workflow_command("dev")
    assert command[0] == "pulumi"

    clean = ws.run(*command[1:], stack=False, check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr

    with service.api() as api:
        api.put("/registries/dev-registry/storage", json={"storage_gb": 40}).raise_for_status()

    drifted = ws.run(*command[1:], stack=False, check=False)
    output = drifted.stdout + drifted.stderr
    assert drifted.returncode != 0, output
    # The refresh shows the drifted value; the size the program wants cannot shrink it back.
    drift_lines = [line for line in output.splitlines() if "storageGb" in line and "=>" in line]
    assert drift_lines and "10 => 40" in drift_lines[0], output
    assert "dev-registry has 40 GB" in output
    assert service.token not in output
