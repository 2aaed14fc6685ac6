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


def _notebook(markdown: str):
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    return new_notebook(cells=[new_markdown_cell(markdown), new_code_cell("x = 1 <br> 2\nx"),
                               new_markdown_cell("Same text\n\n* $x$ and `code`")])


def _exporter():
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="classic")


def _normal(html: str) -> str:
    from bs4 import BeautifulSoup

    return str(BeautifulSoup(html, features="html.parser"))


def test_a_page_without_images_is_not_parsed_again_and_is_the_same(monkeypatch):
    import nbconvert.exporters.html as html_exporter

    soup = html_exporter.BeautifulSoup
    monkeypatch.setattr(html_exporter, "BeautifulSoup", getattr(soup, "__wrapped__", soup))
    nb = _notebook("# A title\n\nText with <b>bold</b> & an ampersand")
    plain, _ = _exporter().from_notebook_node(nb)
    serve._skip_needless_html_reparse()
    assert html_exporter.BeautifulSoup.graders_skips
    fast, _ = _exporter().from_notebook_node(nb)
    assert fast != plain  # not re-serialised by BeautifulSoup...
    assert _normal(fast) == _normal(plain)  # ...and the same page


def test_a_page_with_an_image_still_gets_its_alt_text(monkeypatch):
    import nbconvert.exporters.html as html_exporter

    soup = html_exporter.BeautifulSoup
    monkeypatch.setattr(html_exporter, "BeautifulSoup", getattr(soup, "__wrapped__", soup))
    serve._skip_needless_html_reparse()
    for tag in ('<img src="a.png">', '<IMG src="a.png">'):
        page, _ = _exporter().from_notebook_node(_notebook(f"A picture: {tag}"))
        assert 'alt="No description has been provided for this image"' in page


def test_markdown_is_made_once_per_source_and_cells_with_attachments_each_time(monkeypatch):
    import nbconvert.exporters.html as html_exporter

    nb = _notebook("# A title")
    nb.cells.append(nb.cells[0].copy())  # the same source twice
    nb.cells[-1].id = "again"
    plain, _ = _exporter().from_notebook_node(nb)
    made = []

    class Counting(html_exporter.MarkdownWithMath):
        def render(self, source):
            made.append(source)
            return super().render(source)

    monkeypatch.setattr(html_exporter, "MarkdownWithMath", Counting)
    exporter = _exporter()
    exporter.template  # noqa: B018 - the environment and its filters
    serve._cache_markdown(exporter)
    first, _ = exporter.from_notebook_node(nb)
    second, _ = exporter.from_notebook_node(nb)
    assert first == second and _normal(first) == _normal(plain)
    assert sorted(made) == sorted({c.source for c in nb.cells if c.cell_type == "markdown"})
    made.clear()
    nb.cells[0].attachments = {"a.png": {"image/png": "iVBORw0KGgo="}}
    exporter.from_notebook_node(nb)
    assert made == [nb.cells[0].source]  # read again: its attachments could have changed


def test_highlighted_code_is_kept_per_source_language_and_magics(monkeypatch):
    import nbconvert.filters.highlight as highlight

    call = highlight.Highlight2HTML.__call__
    monkeypatch.setattr(highlight.Highlight2HTML, "__call__", getattr(call, "__wrapped__", call))
    cases = [(SOURCE, None, None), (SOURCE, "python", None), ("x = 1", None, None),
             ("echo $HOME > x", None, {"magics_language": "bash"}), ("echo $HOME > x", None, None),
             ("", None, None)]
    plain = [highlight.Highlight2HTML()(*case) for case in cases]
    assert plain[3] != plain[4]  # the cell's magics language counts
    made = []
    pygments = highlight._pygments_highlight

    def counting(source, *args, **kwargs):
        made.append(source)
        return pygments(source, *args, **kwargs)

    monkeypatch.setattr(highlight, "_pygments_highlight", counting)
    serve._cache_highlighting()
    assert [highlight.Highlight2HTML()(*case) for case in cases * 2] == plain * 2
    assert len(made) == len(cases)  # each made once, then kept
    options = highlight.Highlight2HTML(extra_formatter_options={"linenos": "inline"})
    assert options(SOURCE) != plain[0] and len(made) == len(cases) + 1
