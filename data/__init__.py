"""The demo production (``demo-crew.csv``, ``demo-scenes.json``) that ``kiosk demo`` and the tests use.

This folder stays at the top of the source tree and is installed as the package ``kiosk.data``
(``package-dir`` in pyproject.toml), so a checkout, an editable install and a wheel all find it through the
import system: ``kiosk.DATA``.
"""
