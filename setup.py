"""The package list, the one setting of the build that pyproject.toml cannot express.

Everything else (metadata, dependencies, package data, the ``package-dir`` mapping) is in
pyproject.toml. The app's data files (icons, the sample report, the report fonts) live in the
top-level ``resources/`` folder, which ``[tool.setuptools.package-dir]`` maps to the package
``caliber_desktop.resources`` in the wheel and the editable install. A remapped package has to be
*listed*: ``[tool.setuptools.packages.find]`` only finds packages where they are on disk (it
would call that folder ``resources``), and pyproject.toml takes a ``find`` directive or a list,
not both. So the list is the packages found under ``caliber_desktop/`` (as the ``find``
directive did: implicit namespaces included, e.g. the migration revisions) plus
``caliber_desktop.resources`` and its folders.
"""

from setuptools import find_namespace_packages, setup

RESOURCES = "caliber_desktop.resources"

setup(
    packages=[
        *find_namespace_packages(include=["caliber_desktop", "caliber_desktop.*"]),
        RESOURCES,
        *(f"{RESOURCES}.{name}" for name in find_namespace_packages(where="resources")),
    ]
)
