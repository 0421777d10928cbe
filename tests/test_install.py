"""A real install: the wheel built from this tree, installed into a fresh venv outside the checkout, runs.

Only an editable install used to work (the fonts and the demo production were looked up in the checkout).  Here
the wheel is built without a network (``--no-build-isolation``, the test venv's setuptools), installed with
``--no-deps`` into a new venv that reaches the test venv's dependencies through a ``.pth`` file, and the
installed ``kiosk`` is run from a folder far from the checkout: the demo, badges with a sheet, a workbook
import, a report, a scan, and the door screen headless.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
NOT_IN_THE_BUILD = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                          ".pytest_cache", ".hypothesis", "*.db", "*.db-wal", "*.db-shm")


def test_every_package_is_in_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "kiosk").rglob("__init__.py")}
    assert found - listed == set(), "add these packages to [tool.setuptools] packages in pyproject.toml"


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    """A command under the usual umask 022, with nothing of the checkout on its path."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "KIOSK_"))}
    done = subprocess.run(["sh", "-c", 'umask 022 && exec "$@"', "sh", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv holding the kiosk from its wheel; returns its bin folder."""
    work = tmp_path_factory.mktemp("install")
    source, wheels, venv = work / "source", work / "wheels", work / "venv"
    shutil.copytree(ROOT, source, ignore=NOT_IN_THE_BUILD)  # a clean tree: nothing built in the checkout
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
        "--wheel-dir", wheels, source, cwd=work)
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index",
        *wheels.glob("closed_set_kiosk-*.whl"), cwd=work)
    # Only now (pip must not see the test venv's editable kiosk as already installed): the dependencies.
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=work)
                .stdout.strip())
    dependencies = dict.fromkeys(sysconfig.get_paths()[key] for key in ("purelib", "platlib"))
    (site / "test-dependencies.pth").write_text("".join(f"{path}\n" for path in dependencies))
    return venv / "bin"


def test_installed_kiosk_runs_the_demo_badges_report_and_door(installed, tmp_path):
    where = run(installed / "python", "-c", "import kiosk; print(kiosk.__file__, kiosk.ASSETS)", cwd=tmp_path)
    assert str(ROOT) not in where.stdout and "site-packages" in where.stdout
    kiosk = [installed / "kiosk", "--db", tmp_path / "demo.db", "--kiosk-id", "installed"]

    run(*kiosk, "demo", "--no-run", "--badges", tmp_path / "demo-badges", cwd=tmp_path)
    codes = {line.split("\t")[0]: line.split("\t")[1]
             for line in (tmp_path / "demo-badges" / "codes.txt").read_text(encoding="utf-8").splitlines()}
    assert len(codes) == 40 and (tmp_path / "demo-badges" / "sheet.pdf").stat().st_size > 0
    assert {(tmp_path / "demo-badges" / name).stat().st_mode & 0o777 for name in ("codes.txt", "C01.png")} == {0o600}

    run(*kiosk, "badge", "issue", "C01", "C02", "--out", tmp_path / "cards", "--sheet", tmp_path / "cards.pdf",
        "--paper", "cr80", cwd=tmp_path)
    assert len(PdfReader(tmp_path / "cards.pdf").pages) == 2 and (tmp_path / "cards" / "C01.png").exists()

    workbook = openpyxl.Workbook()
    workbook.active.append(["Full name", "Dept", "Position", "Type"])
    workbook.active.append(["Ana Lima", "Art", "Standby props", "Crew"])
    workbook.save(tmp_path / "crew.xlsx")
    added = run(*kiosk, "people", "import", tmp_path / "crew.xlsx", "--json", cwd=tmp_path)
    assert json.loads(added.stdout)["names"] == {"ana-lima": "Ana Lima"}  # openpyxl, imported when needed

    run(*kiosk, "report", "42", "--out", tmp_path / "scene42.pdf", cwd=tmp_path)
    assert PdfReader(tmp_path / "scene42.pdf").pages

    scan = run(*kiosk, "scan", "42", codes["D01"], "--zone", "set", "--json", cwd=tmp_path)
    assert json.loads(scan.stdout)["decision"] == "admit"

    door = textwrap.dedent("""
        import asyncio, sys
        from kiosk.store import connect
        from kiosk.tui import KioskApp

        async def main():
            app = KioskApp(connect(sys.argv[1]), "installed", scene="42")
            async with app.run_test() as pilot:
                await pilot.pause()
                print(type(app.screen).__name__, len(app.stylesheet.rules))

        asyncio.run(main())
    """)
    shown = run(installed / "python", "-c", door, tmp_path / "demo.db", cwd=tmp_path)
    screen, rules = shown.stdout.split()
    assert screen == "DoorScreen" and int(rules) > 0  # the kiosk's stylesheet came with the wheel
