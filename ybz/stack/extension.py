"""Our CKAN extension (catalog/ckanext-yibenzhang, plugin `yibenzhang`) in CKAN's venv:
installed editable (so its code is read from the checkout), reinstalled when its packaging
changes, translations compiled, and a digest of its files that decides CKAN restarts."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from ybz.stack.config import REPO_ROOT, StackConfig, StackError
from ybz.stack.progress import note, step
from ybz.stack.system import find_uv, run

PLUGIN = "yibenzhang"
EXTENSION_DIR = REPO_ROOT / "catalog" / "ckanext-yibenzhang"
PACKAGING = ("pyproject.toml", "setup.py", "setup.cfg")
INSTALLED_MARK = ".ybz-extension-installed"
DOMAIN = "ckanext-yibenzhang"  # the translations' gettext domain
# Not sources: build output, caches and what is compiled from the sources (.mo from .po).
_SKIP_DIRS = {"__pycache__", "build", "dist", ".pytest_cache", ".ruff_cache", ".mypy_cache"}
_SKIP_SUFFIXES = {".pyc", ".mo"}


def packaging_files(root: Path = EXTENSION_DIR) -> list[Path]:
    return [root / name for name in PACKAGING if (root / name).is_file()]


def present(root: Path = EXTENSION_DIR) -> bool:
    """The extension can be installed: a packaging file and the plugin module exist."""
    return bool(packaging_files(root)) and (root / "ckanext" / "yibenzhang" / "plugin.py").is_file()


def _digest(files: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    for path in files:
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]


def source_files(root: Path = EXTENSION_DIR) -> list[Path]:
    """Every file CKAN reads from the extension (code, templates, assets, .po), sorted."""
    if not root.is_dir():
        return []
    found = []
    for path in root.rglob("*"):
        rel = path.relative_to(root).parts
        if (not path.is_file() or path.suffix in _SKIP_SUFFIXES
                or any(p in _SKIP_DIRS or p.endswith(".egg-info") for p in rel)):
            continue
        found.append(path)
    return sorted(found)


def source_digest(root: Path = EXTENSION_DIR) -> str:
    """Changes whenever a file of the extension changes: CKAN must then restart."""
    return _digest(source_files(root), root)


# The extension's modules that decide what Solr stores for a dataset (IPackageController's
# before_dataset_index in facets.py, IPermissionLabels in labels.py): a change in them needs
# a search-index rebuild, not only a restart.
INDEX_MODULES = ("facets.py", "labels.py")


def index_digest(root: Path = EXTENSION_DIR) -> str:
    """Changes whenever the code shaping the search index changes."""
    package = root / "ckanext" / "yibenzhang"
    return _digest([package / name for name in INDEX_MODULES if (package / name).is_file()], root)


# Apache ECharts for the portal's dashboards: from the npm registry (report/package.json,
# `make install`), copied into the extension's public folder (gitignored), served as /vendor/.
ECHARTS_SOURCE = REPO_ROOT / "report" / "node_modules" / "echarts" / "dist" / "echarts.min.js"
ECHARTS_TARGET = Path("ckanext") / "yibenzhang" / "public" / "vendor" / "echarts.min.js"


def ensure_echarts(root: Path = EXTENSION_DIR, source: Path = ECHARTS_SOURCE) -> bool:
    """The ECharts script in the extension's public folder (npm ci first when it is not
    installed). True when copied now; without npm the dashboards draw no charts (noted)."""
    if not source.is_file():
        npm = shutil.which("npm")
        if npm is None:
            note(f"{source} is missing and npm is not installed: the portal's dashboards will have no charts")
            return False
        with step("npm ci --prefix report (Apache ECharts for the portal)"):
            run([npm, "ci", "--prefix", str(REPO_ROOT / "report"), "--no-audit", "--no-fund", "--loglevel=error"],
                "npm ci --prefix report", timeout=900)
    target = root / ECHARTS_TARGET
    if target.is_file() and target.read_bytes() == source.read_bytes():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(source, partial)
    partial.replace(target)  # CKAN never serves half a script
    return True


def ensure_installed(cfg: StackConfig, root: Path = EXTENSION_DIR) -> bool:
    """`pip install -e` into CKAN's venv unless done for this packaging (and the ECharts script
    in its public folder, every time). True when installed now."""
    if not present(root):
        # Without it CKAN would serve no permission labels, pages or hardening: never start so.
        raise StackError(f"the CKAN extension is missing from {root} (a packaging file and "
                         "ckanext/yibenzhang/plugin.py): the checkout is incomplete")
    ensure_echarts(root)
    mark = cfg.ckan_venv / INSTALLED_MARK
    wanted = f"{root}\n{_digest(packaging_files(root), root)}"
    if mark.exists() and mark.read_text().strip() == wanted:
        return False
    with step(f"CKAN: pip install -e {root.relative_to(REPO_ROOT) if root.is_relative_to(REPO_ROOT) else root}"):
        uv = find_uv()
        if uv:
            cmd = [uv, "pip", "install", "--python", str(cfg.ckan_python), "-e", str(root)]
        else:
            cmd = [str(cfg.ckan_python), "-m", "pip", "install", "-q", "-e", str(root)]
        try:
            run(cmd, "install the CKAN extension", timeout=900)
        except StackError as exc:
            raise StackError(f"cannot install {root} into {cfg.ckan_venv}: {exc}") from None
    mark.write_text(wanted + "\n")
    return True


def catalogs(root: Path = EXTENSION_DIR) -> list[Path]:
    return sorted((root / "ckanext" / "yibenzhang" / "i18n").glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def _stale(po: Path) -> bool:
    mo = po.with_suffix(".mo")
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


def compile_translations(cfg: StackConfig, root: Path = EXTENSION_DIR) -> list[Path]:
    """.po → .mo with CKAN's Babel, only when a .mo is missing or older than its .po.
    Returns the catalogs compiled (none when nothing changed, or there is no .po)."""
    stale = [po for po in catalogs(root) if _stale(po)]
    if not stale:
        return []
    i18n = root / "ckanext" / "yibenzhang" / "i18n"
    pybabel = cfg.ckan_venv / "bin" / "pybabel"
    with step(f"CKAN extension: compile translations ({', '.join(p.parts[-3] for p in stale)})"):
        if not pybabel.exists():
            raise StackError(f"{pybabel} is missing: CKAN's venv has no Babel")
        for po in stale:
            run([str(pybabel), "compile", "-i", str(po), "-o", str(po.with_suffix(".mo"))],
                f"pybabel compile {po.relative_to(i18n)}", timeout=120)
    return stale
