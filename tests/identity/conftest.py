"""A real OpenID provider for the identity tests: tests/oidc_provider (django-oauth-toolkit) in its own process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from casefiles.testing import resident_id

REPO = Path(__file__).resolve().parents[2]
CLIENT = {
    "client_id": "huicai",
    "client_secret": "huicai-test-secret",
    "redirect_uri": "http://testserver/oidc/callback/",
}
STAFF_USERNAME = "oidc.officer"
PASSWORD = "provider-pass-1"
#: The provider's people and the claims it vouches for (tests/oidc_provider/validator.py releases them).
PEOPLE = {
    "applicant": {
        "name": "李明",
        "id_type": "resident_id",
        "id_number": resident_id(birth="19880214"),
        "email": "liming@example.org",
    },
    "passport-holder": {"name": "Anna Müller", "id_type": "414", "id_number": "C01X00T47"},  # mapped: 414=passport
    "officer": {"name": "王芳", "staff_account": STAFF_USERNAME},
    "unknown-officer": {"name": "赵强", "staff_account": "no.such.account"},
    "unverified": {"email": "someone@example.org"},
}


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    """The running provider: {"issuer", the endpoints from its discovery document, "client_id", "client_secret",
    "people"}. Start-up is a migrate of an in-memory database: about a second."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE_", "HUICAI_", "PYTEST_"))
    }
    env.update(
        PYTHONPATH=str(REPO),
        OIDC_TEST_RSA_KEY=pem.decode(),
        OIDC_TEST_CLIENT=json.dumps(CLIENT),
        OIDC_TEST_PEOPLE=json.dumps(
            {name: {"password": PASSWORD, "claims": claims} for name, claims in PEOPLE.items()}
        ),
    )
    log = tmp_path_factory.mktemp("oidc-provider") / "stderr.log"
    with open(log, "wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.oidc_provider.serve"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        line = process.stdout.readline()  # blocks until the provider is ready (or has died)
        if not line:
            process.wait(timeout=10)
            pytest.fail(f"the test OpenID provider did not start:\n{log.read_text()}")
        issuer = json.loads(line)["issuer"]
        discovery = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()
        yield {**discovery, **CLIENT, "people": PEOPLE}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
