import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.smoke
DOCUMENTED = {"security.W021"}


def test_check_deploy_has_only_documented_warnings(tmp_path):
    repo = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "huicai.settings.production",
        "SECRET_KEY": "x" * 60 + "-not-a-real-secret-but-long-and-random-enough-Zq8",
        "ALLOWED_HOSTS": "huicai.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path}/check.sqlite3",
    }
    # The browser tests' conftest allows async-unsafe ORM use in this process; a deployment never does.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=repo, env=env, capture_output=True, text=True, timeout=300
    )
    found = set(re.findall(r"\(([a-z_]+\.[WE]\d{3})\)", result.stdout + result.stderr))
    assert found <= DOCUMENTED, f"undocumented deploy warnings: {sorted(found - DOCUMENTED)}"
    assert (repo / "docs" / "DEPLOYMENT.md").read_text(encoding="utf-8").count("security.W0") == len(DOCUMENTED)
