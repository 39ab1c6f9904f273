"""The real Redis the multi-instance parts share (redis://127.0.0.1:6379, started by
scripts/ensure-services), with a key prefix of each test's own, removed afterwards."""

from __future__ import annotations

import os
import subprocess
import uuid

import pytest

from tests.conftest import ROOT

REDIS_URL = os.environ.get("PARLEY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_client():
    """A client of the test Redis; started through scripts/ensure-services when it does not answer."""
    from parley.redis_client import connect

    client = connect(REDIS_URL)
    try:
        client.ping()
    except Exception:
        subprocess.run(["bash", str(ROOT / "scripts" / "ensure-services")], check=False, capture_output=True,
                       timeout=900)
        try:
            client.ping()
        except Exception as exc:
            pytest.fail(f"the tests need Redis at {REDIS_URL}: {exc}", pytrace=False)
    return client


@pytest.fixture
def redis_prefix():
    """A key prefix no other test uses; every key under it is deleted afterwards."""
    prefix = f"parley-test-{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis_client()
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()
