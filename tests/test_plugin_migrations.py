"""A plugin enabled on a node that was initialised without it migrates the existing database (rows kept),
for every bundled plugin; a plugin whose migration fails makes `entativa init` exit non-zero at once with
one clear line, never hang (real `entativa` processes on real SQLite files)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import postgres_databases
import pytest
import tomli_w

from node.plugins import BUNDLED_DIR, discover

# The PostgreSQL run skips what would only repeat the SQLite run: these tests make their own.
pytestmark = pytest.mark.skipif(bool(postgres_databases.CLUSTER), reason='SQLite files (tests/test_postgres_schema.py covers PostgreSQL)')

REPO = Path(__file__).resolve().parents[1]
BUNDLED = sorted(
    name
    for name, sources in discover(entry_points=False).items()
    if any(s.origin == "bundled" for s in sources)
)


def _config(folder: Path, plugins: list[str]) -> Path:
    config = folder / "node.toml"
    config.write_text(
        tomli_w.dumps(
            {
                "node": {"domain": "localhost:18999"},
                "storage": {"data_dir": "data"},
                "plugins": {"enabled": plugins},
            }
        )
    )
    return config


def _entativa(config: Path, *args: str, env: dict | None = None, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return subprocess.run(
        [sys.executable, "-m", "node", "--config", str(config), *args],
        cwd=REPO,
        input=stdin,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
    )


def _tables(database: Path) -> set[str]:
    with sqlite3.connect(database) as connection:
        return {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_every_bundled_plugin_is_found():
    assert {"e2ee", "welcome"} <= set(BUNDLED), BUNDLED
    assert all(
        (BUNDLED_DIR / name / "migrations").is_dir() or not (BUNDLED_DIR / name / "models.py").exists()
        for name in BUNDLED
    )


@pytest.mark.parametrize("plugin", BUNDLED)
def test_enabling_a_plugin_after_init_migrates_the_existing_database(tmp_path, plugin):
    config = _config(tmp_path, [])
    assert _entativa(config, "init").returncode == 0
    added = _entativa(config, "user", "add", "alice", "--password-stdin", stdin="correct horse battery\n")
    assert added.returncode == 0, added.stderr
    database = tmp_path / "data" / "node.sqlite3"
    before = _tables(database)

    config.write_text(config.read_text().replace("enabled = []", f'enabled = ["{plugin}"]'))
    done = _entativa(config, "init")
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT username FROM accounts").fetchall() == [("alice",)]  # rows kept
        applied = {app for (app,) in connection.execute("SELECT app FROM tortoise_migrations")}
    if (BUNDLED_DIR / plugin / "models.py").exists():
        assert plugin in applied
        assert _tables(database) > before


def test_a_failing_plugin_migration_exits_with_one_line(tmp_path):
    folder = tmp_path / "extra" / "broken"
    (folder / "migrations").mkdir(parents=True)
    (folder / "plugin.toml").write_text(
        'name = "broken"\nversion = "1.0.0"\ndescription = "x"\nrequires = []\nhooks = ["models"]\n'
    )
    (folder / "__init__.py").write_text(
        textwrap.dedent("""
        from node.plugin_api import hookimpl

        @hookimpl
        def models():
            return [".models"]
    """)
    )
    (folder / "models.py").write_text(
        textwrap.dedent('''
        from tortoise import fields
        from tortoise.models import Model

        class Thing(Model):
            """Something the broken plugin stores."""

            id = fields.IntField(primary_key=True)

            class Meta:
                table = "broken_things"
    ''')
    )
    (folder / "migrations" / "__init__.py").write_text("")
    (folder / "migrations" / "0001_initial.py").write_text(
        textwrap.dedent("""
        from tortoise import migrations
        from tortoise.migrations import operations as ops

        class Migration(migrations.Migration):
            initial = True
            operations = [ops.RunSQL("CREATE TABLE accounts (id INTEGER)")]  # the core's table: it fails
    """)
    )
    config = _config(tmp_path, [])
    assert _entativa(config, "init").returncode == 0
    config.write_text(config.read_text().replace("enabled = []", 'enabled = ["broken"]'))
    failed = _entativa(config, "init", env={"ENTATIVA_PLUGIN_PATH": str(tmp_path / "extra")})
    assert failed.returncode == 1
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1, failed.stderr
    assert lines[0].startswith("entativa: migrating the database failed:") and "already exists" in lines[0]
