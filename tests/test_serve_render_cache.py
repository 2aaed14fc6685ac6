"""``graders serve`` builds pygments' table of token classes once per style (see
:func:`graders.serve._cache_pygments_stylesheets`): the highlighted code and the style sheet
must be what pygments makes without the cache, for every style and class prefix asked."""

from __future__ import annotations

from pygments import highlight
from pygments.formatters.html import HtmlFormatter
from pygments.lexers import PythonLexer

from graders import serve

SOURCE = ("import torch\n# a comment\nx = torch.ones(2, 3) @ torch.ones(3, 1)  # noqa\n"
          "print(f'{x}')\n")
CASES = [{}, {"style": "monokai"}, {"cssclass": " highlight hl-ipython3"},
         {"classprefix": "tok-"}, {"style": "monokai", "classprefix": "tok-"}]


def _uncached(monkeypatch) -> None:
    """pygments' own method (this process may have installed the cache already)."""
    build = HtmlFormatter._create_stylesheet
    monkeypatch.setattr(HtmlFormatter, "_create_stylesheet", getattr(build, "__wrapped__", build))


def _render(options: dict) -> tuple[str, str]:
    formatter = HtmlFormatter(**options)
    return highlight(SOURCE, PythonLexer(), formatter), formatter.get_style_defs(".highlight")


def test_cached_stylesheets_render_the_same(monkeypatch):
    _uncached(monkeypatch)
    plain = [_render(options) for options in CASES]
    serve._cache_pygments_stylesheets()
    assert getattr(HtmlFormatter._create_stylesheet, "graders_cached", False)
    cached = [_render(options) for options in CASES * 2]  # built, then from the cache
    assert cached == plain * 2


def test_each_formatter_gets_its_own_tables(monkeypatch):
    _uncached(monkeypatch)
    serve._cache_pygments_stylesheets()
    first, second = HtmlFormatter(), HtmlFormatter()
    first.class2style.clear()
    assert second.class2style and HtmlFormatter().class2style
