"""Offline styles for run reports: the files Data Docs load from CDNs, served from npm.

Great Expectations' Data Docs templates link Bootstrap, jQuery, Font Awesome, Vega and
friends from CDNs, so a report opened without the internet (or years later) renders
unstyled. `make install` runs `npm ci` in vendor/ (package.json pins the exact versions
the templates name); here each CDN URL is mapped to its file in the npm package, the
files are copied beside the report, and every link in the HTML is rewritten to a
relative path. Plain Python with no GX import: the report works on the HTML files alone.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Iterable
from urllib.parse import urlsplit

VENDOR = Path(__file__).resolve().parent / "vendor"
NODE_MODULES = VENDOR / "node_modules"

# Every script, stylesheet and font file GX 1.x Data Docs templates load
# (great_expectations/render/view/templates/*.j2), and the file in vendor/node_modules
# with the same content. The vega URLs name a major version: jsDelivr serves the
# package's `jsdelivr` file (build/*.min.js) of its newest release, pinned in package.json.
CDN_FILES: dict[str, str] = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css":
        "bootstrap/dist/css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js":
        "bootstrap/dist/js/bootstrap.min.js",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "@forevolve/bootstrap-dark/dist/css/bootstrap-prefers-dark.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker/dist/css/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker/dist/js/bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css":
        "@fortawesome/fontawesome-free/css/all.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js":
        "popper.js/dist/umd/popper.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js":
        "jquery/dist/jquery.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css":
        "bootstrap-table/dist/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js":
        "bootstrap-table/dist/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table-1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table-1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed/build/vega-embed.min.js",
}
# Folders a mapped file loads by relative path: Font Awesome's CSS asks for ../webfonts/.
COMPANION_DIRS: dict[str, tuple[str, ...]] = {
    "@fortawesome/fontawesome-free/css/all.min.css": ("@fortawesome/fontawesome-free/webfonts",),
}
BOOTSTRAP_CSS = CDN_FILES["https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"]
# GX's logo and a dark-mode background come from its own bucket; the Data Docs site
# ships the same images under static/images/.
GX_IMAGES = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"

STYLES_MISSING = (
    "Styles unavailable: the vendored CSS, JavaScript and fonts are not installed "
    f"({VENDOR.relative_to(VENDOR.parents[2])}/node_modules is missing; run `make install`, "
    "which runs `npm ci` there). The report's content is complete but shows unstyled."
)

_URL_ATTR = re.compile(r"""(?P<attr>\b(?:src|href))=(?P<q>["'])(?P<url>[^"']*)(?P=q)""", re.I)
_CSS_URL = re.compile(r"""url\(\s*(?P<q>["']?)(?P<url>https?://[^"')\s]+)(?P=q)\s*\)""", re.I)
_CORS_ATTRS = re.compile(r"""\s+(?:integrity|crossorigin)=(["'])[^"']*\1|\s+crossorigin(?=[\s>])""", re.I)
_TAG = re.compile(r"<(?P<name>[a-zA-Z]+)\b[^>]*>")
_STATIC_IMAGES = re.compile(r"^(?:\.\./)*static/images/(?P<file>[^?#]+)")


def vendored(source: Path = NODE_MODULES, files: Iterable[str] | None = None) -> bool:
    """True when `npm ci` has run in vendor/ and every mapped file (or each of `files`) is there."""
    return all((source / rel).is_file() for rel in (CDN_FILES.values() if files is None else files))


def copy_assets(dest: Path, files: list[str] | None = None, source: Path = NODE_MODULES) -> bool:
    """Copy the vendored files (all, or the given package paths) from `source` under
    `dest`, keeping their package paths so relative references between them
    (../webfonts) still work. Returns False, copying nothing, when they are not installed."""
    wanted = list(dict.fromkeys(CDN_FILES.values() if files is None else files))
    if not vendored(source, wanted):
        return False
    for rel in wanted:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / rel, target)
        for folder in COMPANION_DIRS.get(rel, ()):
            shutil.copytree(source / folder, dest / folder, dirs_exist_ok=True)
    return True


def relative(target: Path, page: Path) -> str:
    """The URL of `target` from the HTML file `page`, with forward slashes."""
    return Path(os.path.relpath(target, page.parent)).as_posix()


def rewrite_page(html: str, page: Path, assets: Path, site: Path, styled: bool = True) -> str:
    """One Data Docs page with every CDN link pointing at the copy under `assets`.

    `site` is the Data Docs folder (for GX's own static/images, which its templates
    sometimes link from the wrong depth). Integrity and crossorigin attributes go: a
    file:// script fetched in CORS mode is refused. When not `styled`, a notice that
    styles are unavailable is shown at the top of the page.
    """
    images = site / "static" / "images"

    def local(url: str) -> str | None:
        if url in CDN_FILES:
            return relative(assets / CDN_FILES[url], page)
        if url.startswith(GX_IMAGES):
            name = urlsplit(url).path.rsplit("/", 1)[-1]
            return relative(images / name, page) if (images / name).is_file() else None
        m = _STATIC_IMAGES.match(url)
        if m and (images / m["file"]).is_file():
            return relative(images / m["file"], page)
        return None

    def tag(m: re.Match) -> str:
        text = m[0]
        if m["name"].lower() == "a":  # links a person follows are left as they are
            return text
        rewritten = False

        def attr(a: re.Match) -> str:
            nonlocal rewritten
            new = local(a["url"])
            if new is None:
                return a[0]
            rewritten = rewritten or a["url"].startswith("http")
            return f'{a["attr"]}={a["q"]}{new}{a["q"]}'

        text = _URL_ATTR.sub(attr, text)
        return _CORS_ATTRS.sub("", text) if rewritten else text

    def css_url(m: re.Match) -> str:
        new = local(m["url"])
        # GX's dark-mode logo has no local copy: better no logo than a request out.
        return f"url('{new}')" if new else "none"

    html = _TAG.sub(tag, html)
    html = _CSS_URL.sub(css_url, html)
    if not styled:
        html = re.sub(r"(<body\b[^>]*>)", lambda m: m[1] + notice_html(), html, count=1, flags=re.I)
    return html


def rewrite_site(site: Path, assets: Path, styled: bool = True) -> list[str]:
    """Rewrite every HTML page of a Data Docs site in place (pages sit at every depth).
    Returns the remote references left, as 'page: url' (empty when fully offline)."""
    left: list[str] = []
    for page in sorted(site.rglob("*.html")):
        html = rewrite_page(page.read_text(encoding="utf-8"), page, assets, site, styled)
        page.write_text(html, encoding="utf-8")
        left += [f"{page.relative_to(site).as_posix()}: {url}" for url in remote_references(html)]
    return left


def remote_references(html: str) -> list[str]:
    """The http(s) URLs a browser would fetch to show the page: scripts, stylesheets,
    icons, images, fonts and CSS imports (links a person clicks are not fetched)."""
    found = []
    for m in _TAG.finditer(html):
        if m["name"].lower() == "a":
            continue
        found += [a["url"] for a in _URL_ATTR.finditer(m[0]) if re.match(r"https?:", a["url"], re.I)]
    found += [m["url"] for m in _CSS_URL.finditer(html)]
    found += re.findall(r"""@import\s+(?:url\()?["']?(https?://[^"')\s;]+)""", html, re.I)
    return list(dict.fromkeys(found))


def notice_html() -> str:
    """The styles-unavailable notice, styled inline so it shows without any stylesheet."""
    from html import escape

    return ('<div class="foi-styles-missing" role="alert" style="background:#fff3cd;color:#664d03;'
            'border:2px solid #997404;padding:12px 16px;margin:8px;font:16px sans-serif">'
            f"{escape(STYLES_MISSING)}</div>")
