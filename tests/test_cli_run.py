"""`kiosk run`'s hub and backup settings: documented in --help, and a hub password never taken from the command
line."""

from __future__ import annotations


def test_run_help_names_the_hub_line_and_the_backup_settings(cli):
    code, out, _ = cli("run", "--help")
    words = " ".join(out.split())
    assert code == 0
    for shown in ("$KIOSK_HUB", "$KIOSK_HUB_PASSWORD", "$KIOSK_BACKUP_DIR", "$KIOSK_BACKUP_EVERY", "--backup-to",
                  '"hub: offline since 14:02 - 37 waiting"', '"backup 14:05"', "0700", "0600"):
        assert shown in words, shown


def test_run_refuses_a_hub_password_on_the_command_line(cli, db):
    code, _, err = cli("run", "--hub", "host=127.0.0.1 dbname=hub user=door_a password=tangerine")
    assert code == 2 and "password" in err and "tangerine" not in err


def test_run_refuses_backups_more_often_than_a_minute(cli, db, tmp_path):
    code, _, err = cli("run", "--backup-to", tmp_path, "--backup-every", "0.1")
    assert code == 2 and "--backup-every" in err
