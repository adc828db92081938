"""`interlink export` and `interlink import` against a live server: a workspace's bundle with
its secrets sealed, imported into another workspace after a dry run, then again (nothing to do),
and a list as CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import httpx

from tests.cli.conftest import API_KEY, Cli

PASSPHRASE = "correct horse battery staple"


def _workspace(url: str, name: str) -> str:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    response = httpx.post(f"{url}/api/v1/workspaces", json={"name": name}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["admin_key"]["key"])


def test_export_then_import_into_another_workspace(cli: Cli, tmp_path: Path) -> None:
    source, target = _workspace(cli.url, "cli-source"), _workspace(cli.url, "cli-target")
    created = httpx.post(
        f"{cli.url}/api/v1/integrations",
        headers={"Authorization": f"Bearer {source}"},
        json={"name": "Exported", "type": "http", "metadata": {"department": "eng"},
              "configuration": {"api_url": "http://127.0.0.1:9", "auth_method": "api_key"},
              "credentials": {"api_key": "cli-secret-value-5521"}},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    secret_file, bundle = tmp_path / "passphrase", tmp_path / "bundle.json"
    secret_file.write_text(PASSPHRASE + "\n")

    wrote = cli.json("--api-key", source, "export", "--include-secrets", "--passphrase-file",
                     str(secret_file), "-o", str(bundle))  # fmt: skip
    dry = cli.ok("--api-key", target, "import", str(bundle), "--dry-run",
                 "--passphrase-file", str(secret_file)).stdout  # fmt: skip
    done = cli.json("--api-key", target, "import", str(bundle), "--passphrase-file",
                    str(secret_file))  # fmt: skip
    again = cli.json("--api-key", target, "import", str(bundle), "--passphrase-file",
                     str(secret_file))  # fmt: skip
    plain = cli.ok("--api-key", source, "export").stdout
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase at all\n")
    refused = cli.run("--api-key", target, "import", str(bundle), "--passphrase-file", str(wrong))
    listed = cli.ok("--api-key", target, "export", "--csv", "integrations",
                    "--filter", "department=eng").stdout  # fmt: skip

    assert wrote["secrets"] == "sealed"
    assert wrote["items"]["integrations"] == 1
    assert "cli-secret-value-5521" not in bundle.read_text()
    assert "cli-secret-value-5521" not in plain
    assert "dry run" in dry
    assert "Exported" in dry
    assert done["counts"]["create"] == 1
    assert [i["action"] for i in done["items"]] == ["create"]
    assert again["counts"] == {"create": 0, "update": 0, "skip": 1, "conflict": 0}
    assert json.loads(plain)["secrets"] is None
    assert refused.exit_code == 1
    assert "WRONG_PASSPHRASE" in refused.stderr
    assert [r["name"] for r in csv.DictReader(io.StringIO(listed))] == ["Exported"]
