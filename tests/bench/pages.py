"""How well saved pages are read: the article found on real pages, ours against the extractor libraries.

    python -m tests.bench.pages DIR

DIR holds the Zyte (Scrapinghub) article-extraction-benchmark (github.com/scrapinghub/article-extraction-benchmark,
MIT): `html/*.html.gz`, 181 real pages, and `ground-truth.json`, each page's article body. The score is the
benchmark's own: bags of 4-word shingles, precision and recall averaged over the pages. Our reader's output starts
with the title and the date, which the ground truth leaves out, so it is scored without them as well. trafilatura,
readability-lxml (with html-text) and justext are measured in the same run when they are installed; the project
does not depend on them. Nothing is downloaded.
"""

from __future__ import annotations

import gzip
import json
import logging
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

from audio.text.webpage import page_text


def _ours(html: str) -> str:
    return page_text(html)


def _readers() -> dict:
    """Every reader installed here, by name."""
    readers = {"ours": _ours}
    try:
        import trafilatura

        readers["trafilatura"] = lambda html: trafilatura.extract(html, include_comments=False) or ""
    except ImportError:
        pass
    try:
        import html_text
        from readability import Document

        readers["readability-lxml"] = lambda html: html_text.extract_text(Document(html).summary(html_partial=True))
    except ImportError:
        pass
    try:
        import justext

        stop = justext.get_stoplist("English")  # the benchmark's own parameters
        readers["justext"] = lambda html: "\n\n".join(
            p.text for p in justext.justext(html, stop, 50, 200, 0.1, 0.2, 0.2, 200, True) if not p.is_boilerplate
        )
    except ImportError:
        pass
    return readers


def _shingles(text: str) -> Counter:
    words = re.findall(r"\w+", text or "")
    return Counter(tuple(words[i : i + 4]) for i in range(max(1, len(words) - 3)) if words[i : i + 4])


def score(truth: dict[str, str], got: dict[str, str]) -> tuple[float, float, float]:
    """(precision, recall, F1) as the benchmark's evaluate.py computes them."""
    precisions, recalls = [], []
    for key, body in truth.items():
        want, have = _shingles(body), _shingles(got[key])
        tp, fp, fn = sum((want & have).values()), sum((have - want).values()), sum((want - have).values())
        if tp + fp:
            precisions.append(tp / (tp + fp))
        if tp + fn:
            recalls.append(tp / (tp + fn))
    p, r = statistics.mean(precisions), statistics.mean(recalls)
    return p, r, 2 * p * r / (p + r)


def _without_title(text: str) -> str:
    return "\n\n".join(p for p in text.split("\n\n")[1:] if not p.startswith("Published: "))


def main(folder: Path) -> None:
    truth = {k: v.get("articleBody", "") for k, v in json.loads((folder / "ground-truth.json").read_text()).items()}
    pages = {}
    for path in sorted((folder / "html").glob("*.html.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            pages[path.name.split(".")[0]] = f.read()
    warnings.filterwarnings("ignore")
    logging.disable(logging.CRITICAL)
    print(f"{len(pages)} pages\n\n| reader | precision | recall | F1 | time |\n|---|---:|---:|---:|---:|")
    for name, read in _readers().items():
        start = time.perf_counter()
        got = {key: read(html) for key, html in pages.items()}
        seconds = time.perf_counter() - start
        rows = [(name, got)] + ([("ours, without title and date", {k: _without_title(v) for k, v in got.items()})]
                                if name == "ours" else [])  # fmt: skip
        for label, texts in rows:
            p, r, f1 = score({k: truth[k] for k in pages}, texts)
            print(f"| {label} | {p:.3f} | {r:.3f} | {f1:.3f} | {seconds:.1f} s |")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not (Path(sys.argv[1]) / "ground-truth.json").exists():
        sys.exit("usage: python -m tests.bench.pages DIR (a copy of the article-extraction-benchmark)")
    main(Path(sys.argv[1]))
