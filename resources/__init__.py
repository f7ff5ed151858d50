"""The app's data files: icons, the sample report, the report fonts.

Built, this folder is the package ``caliber_desktop.resources``: pyproject.toml's
``[tool.setuptools.package-dir]`` maps it for the wheel and the editable install,
``build/bundle_config.py`` for the PyInstaller bundle. Code reads the files with
``importlib.resources.files("caliber_desktop.resources")``, never by a path in the source tree.
"""
