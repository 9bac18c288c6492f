"""Finding what a strict Content-Security-Policy would block: inline scripts, styles and event handlers."""

import re
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# Script types that carry data, which a browser never runs (json_script writes application/json).
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}

# For template and Python sources, where Django tags would trip an HTML parser.
SOURCE_PATTERNS = {
    "inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
    "<style> element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"""=\s*["']?\s*javascript:""", re.I),
}


def source_findings(paths) -> list[str]:
    findings = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for what, pattern in SOURCE_PATTERNS.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                findings.append(f"{path.relative_to(ROOT)}:{line}: {what}: {match.group(0)[:80]}")
    return findings


class _InlineCodeFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src") and attributes.get("type") not in DATA_SCRIPT_TYPES:
            self.findings.append(f"inline <script {attributes}>")
        if tag == "style":
            self.findings.append("<style> element")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.findings.append(f"<{tag} {name}={value!r}>")
            is_url = name in ("href", "src", "action", "formaction")
            if is_url and (value or "").strip().lower().startswith("javascript:"):
                self.findings.append(f"<{tag} {name}={value!r}>")


def page_findings(html: str) -> list[str]:
    """What in a rendered page the policy would block (and so would be broken, or an injection)."""
    finder = _InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.findings
