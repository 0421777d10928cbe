"""Files the kiosk ships and reads at run time (the DejaVu fonts in ``fonts/``).

This folder stays at the top of the source tree and is installed as the package ``kiosk.assets``
(``package-dir`` in pyproject.toml), so a checkout, an editable install and a wheel all find it through the
import system: ``kiosk.ASSETS``.
"""
