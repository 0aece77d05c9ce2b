"""`entativa user disable-2fa NAME`: an administrator's way back in for someone who lost their phone and
their recovery codes, run as a subprocess against a real database."""

from __future__ import annotations

import sqlite3

from test_cli import entativa, write


def test_disable_2fa_turns_it_off_and_says_what_it_did(tmp_path):
    config = write(tmp_path, '[node]\ndomain = "cli.test"\n')
    assert entativa(config, "init").returncode == 0
    assert entativa(config, "user", "add", "ada", "--password-stdin", stdin="a long passphrase\n").returncode == 0
    db = sqlite3.connect(tmp_path / "data" / "node.sqlite3")
    db.execute("UPDATE users SET otp_secret = 'JBSWY3DPEHPK3PXP', otp_enabled_at = '2026-01-01 00:00:00+00:00', "
               "otp_recovery_hashes = '[\"x\"]'")
    db.commit()
    off = entativa(config, "user", "disable-2fa", "ada")
    assert off.returncode == 0, off.stderr
    assert "Two-factor sign-in for @ada is off" in off.stdout
    assert db.execute("SELECT otp_secret, otp_enabled_at, otp_recovery_hashes FROM users").fetchall() == [
        (None, None, None)]
    again = entativa(config, "user", "disable-2fa", "ada")
    assert again.returncode == 0 and "(it was not on)" in again.stdout
    missing = entativa(config, "user", "disable-2fa", "nobody")
    assert missing.returncode == 2 and "no local user named nobody" in missing.stderr
    assert "Traceback" not in missing.stderr
