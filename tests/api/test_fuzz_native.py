"""Property-based requests against the native API, generated from its own OpenAPI document by
schemathesis: every operation, valid and invalid inputs, on SQLite and on PostgreSQL. Nothing may
answer 5xx, every status must be one the document lists, every body must match its schema, and the
server's last line of defence (the handler for unexpected exceptions) must never run.

The seed is printed and can be fixed with REELBASE_FUZZ_SEED to replay a failure; the number of
cases per operation is REELBASE_FUZZ_EXAMPLES (kept small enough for the suite's time budget).
"""

from __future__ import annotations

import logging
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from reelbase.core.auth.throttle import open_throttle
from tests.conftest import Account, LiveServer

CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_schema_conformance", "response_headers_conformance", "allow_header_conformance",
    "unsupported_method",
])
ROOT = Path(__file__).resolve().parents[2]
# Revoking a key is fuzzed on its own, last: the fuzzer finds its own key in GET /keys and,
# revoking it, would leave every later case an unauthenticated 401.
REVOKE = "DELETE /api/v1/keys/{public_id}"
EXAMPLES = int(os.environ.get("REELBASE_FUZZ_EXAMPLES", "30"))


def fuzz_seed() -> int:
    return int(os.environ.get("REELBASE_FUZZ_SEED") or random.randrange(1, 2**31))


def run_schemathesis(schema_url: str, *args: str, seed: int, examples: int) -> tuple[int, str, int]:
    """Run the schemathesis CLI; its exit code, its report and the number of cases it generated."""
    command = [sys.executable, "-m", "schemathesis.cli", "run", schema_url, "--seed", str(seed),
               "--max-examples", str(examples), "--workers", "1", "--no-color", *args]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory() as scratch:  # where schemathesis keeps its cache of crashes
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=scratch)
    report = done.stdout + done.stderr
    generated = re.search(r"(\d+) generated", report)
    return done.returncode, report, int(generated.group(1)) if generated else 0


def only_refused(report: str) -> list[str]:
    """The operations schemathesis saw answer nothing but 401/403 (its 'Authentication failed')."""
    block = re.search(r"401 Unauthorized \(\d+ operations?\):\n((?:  - .*\n)+)", report)
    return [line.removeprefix("  - ").strip() for line in block.group(1).splitlines()] if block else []


def lift_the_brake(live: LiveServer) -> None:
    """The fuzzer sends thousands of bad keys and signatures from one address, which the throttle
    would rightly lock out after a few dozen (every later answer a 429, fuzzing nothing): its
    limits are raised for these servers only (tests/api/test_throttle.py tests the brake)."""
    settings = live.runtime.settings.model_copy(update={
        "throttle_free_failures": 10**6, "throttle_address_free_failures": 10**6,
        "throttle_secret_free_failures": 10**6})
    live.runtime.throttle = open_throttle(settings)


def unexpected_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "unhandled error" in r.getMessage()]


def test_native_api_answers_every_generated_request_as_documented(
    live: LiveServer, alice: Account, caplog: pytest.LogCaptureFixture
) -> None:
    lift_the_brake(live)
    seed = fuzz_seed()
    print(f"schemathesis seed {seed} (replay with REELBASE_FUZZ_SEED={seed})")
    with caplog.at_level(logging.ERROR, logger="reelbase"):
        code, report, generated = run_schemathesis(
            live.url + "/openapi.json", "--checks", CHECKS, "--mode", "all", "--exclude-name", REVOKE,
            "--header", f"Authorization: Bearer {alice.secret}", seed=seed, examples=EXAMPLES)
        assert code == 0, f"seed {seed}:\n{report[-20000:]}"
        # The cases got past the door: only the signed upload (whose random signatures never match)
        # answers nothing but 401/403.
        assert set(only_refused(report)) <= {"POST /api/v1/uploads/signed", "PUT /api/v1/uploads/signed"}, report[-5000:]
        revoke_code, revoke_report, _ = run_schemathesis(
            live.url + "/openapi.json", "--checks", CHECKS, "--mode", "all", "--include-name", REVOKE,
            "--header", f"Authorization: Bearer {alice.secret}", seed=seed, examples=EXAMPLES)
        assert revoke_code == 0, f"seed {seed}:\n{revoke_report[-20000:]}"
    operations = len(live.client().get("/openapi.json").json()["paths"])
    assert generated >= 20 * operations, report[-3000:]  # it really ran every operation
    assert unexpected_errors(caplog) == [], f"seed {seed}"
