"""The built book in a real browser: Debian's headless chromium, driven by Selenium.

Run after the book runner (like test_built_book.py). For every page of the table of
contents, at 1280 px: no console errors, every image decoded with a non-zero size, the
math typeset by MathJax, the banner naming the build's profile, and a screenshot under
``_build/screenshots``. What a reader came for must be legible: no table cell cut short
by an ellipsis, no output block, table or code cell wider than the text column, no figure shown
below 80% of its natural width, every figure with a numbered caption and real alt text,
a generated findings box on every chapter, and no papermill or bookkeeping cell on the
page. The navigation (sidebar and "next" links) must reach every chapter.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from resdyn_utils.book import PROFILE_BANNERS, toc_files
from resdyn_utils.integrity import read_json

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
PAGES = [Path(f).with_suffix(".html").as_posix() for f in toc_files(ROOT)]

pytestmark = pytest.mark.skipif(not (HTML / "index.html").exists(), reason="the book has not been built")


def browser_paths() -> tuple[str, str]:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        pytest.fail("the browser test needs Debian's chromium and chromium-driver: "
                    "apt-get install chromium chromium-driver (python3 tasks.py test installs them when run as root)")
    return chromium, driver


@pytest.fixture(scope="module")
def site():
    """The built HTML served over HTTP on a free local port."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver_path = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


BROKEN_IMAGES = "return [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src);"


def _wait_for_typesetting(browser, seconds: float = 30.0) -> None:
    """MathJax typesets asynchronously: wait until every formula is typeset (or time out,
    and let the test report what is left)."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if browser.execute_script(TYPESET_DONE):
            return
        time.sleep(0.2)


# The text column, and what a reader sees inside it (run in the page).
LAYOUT = r"""
const column = document.querySelector('article.bd-article');
const width = column.getBoundingClientRect().width;
const text = el => (el.innerText || '').trim();
const outputs = [...column.querySelectorAll('div.cell_output table, div.cell_output pre, div.cell_output img, div.cell_output svg')];
const images = [...column.querySelectorAll('div.cell_output img')];
return {
  column: width,
  truncated: [...column.querySelectorAll('td, th')].map(text).filter(t => t.endsWith('…') || t.endsWith('...')),
  too_wide: outputs.filter(el => Math.max(el.scrollWidth, el.getBoundingClientRect().width) > width + 1)
                   .map(el => el.tagName + ': ' + text(el).slice(0, 60)),
  code_too_wide: [...column.querySelectorAll('div.cell_input pre')]
                   .filter(p => p.scrollWidth > p.clientWidth + 1).map(p => text(p).slice(0, 60)),
  shrunk: images.filter(i => i.naturalWidth > 0 && i.getBoundingClientRect().width < 0.8 * i.naturalWidth)
                .map(i => i.alt + ' at ' + Math.round(100 * i.getBoundingClientRect().width / i.naturalWidth) + '%'),
  uncaptioned: images.filter(i => !(i.closest('figure') && i.closest('figure').querySelector('.caption-number')))
                     .map(i => i.alt || i.src),
  bad_alt: images.map(i => i.getAttribute('alt') || '')
                 .filter(a => a.length < 10 || /[.](png|svg|jpe?g)$|_images|^[/]/.test(a)),
  findings: [...column.querySelectorAll('div.admonition')]
              .filter(a => text(a.querySelector('.admonition-title') || a) === 'What this chapter finds')
              .map(a => text(a).replace('What this chapter finds', '').trim()),
  bookkeeping: [...column.querySelectorAll('div.cell')]
                 .filter(c => c.classList.contains('tag_injected-parameters')
                              || /(^|\n)(save|record)\(/.test(text(c.querySelector('.cell_input') || c))
                              || text(c).includes('interactive = False'))
                 .map(c => text(c).slice(0, 60)),
};
"""

TYPESET_DONE = ("return document.readyState === 'complete' && document.querySelectorAll('.math').length"
                " === document.querySelectorAll('.math mjx-container').length;")


@pytest.fixture(scope="module")
def reports(site, browser):
    """Visit every page once; collect what the tests check."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    out = {}
    for page in PAGES:
        browser.get(f"{site}/{page}")
        _wait_for_typesetting(browser)
        mathjax = browser.execute_script("return !!(window.MathJax && MathJax.version && MathJax.startup);")
        report = {
            "console": [e for e in browser.get_log("browser") if e["level"] == "SEVERE"],
            "images": browser.execute_script("return document.images.length;"),
            "broken_images": browser.execute_script(BROKEN_IMAGES),
            "mathjax": mathjax,
            "math": browser.execute_script("return document.querySelectorAll('.math').length;"),
            "typeset": browser.execute_script("return document.querySelectorAll('.math mjx-container').length;"),
            "sidebar": browser.execute_script(
                "return [...document.querySelectorAll('.bd-sidebar-primary a.reference.internal')].map(a => a.href);"),
            "next": browser.execute_script("const a = document.querySelector('a.right-next'); return a ? a.href : null;"),
            "banner": browser.execute_script(
                "const b = document.querySelector('.bd-header-announcement'); return b ? b.innerText.trim() : null;"),
            "layout": browser.execute_script(LAYOUT),
        }
        height = browser.execute_script("return document.documentElement.scrollHeight;")
        browser.set_window_size(1280, min(max(height, 1000), 20000))
        shot = SHOTS / (page.replace("/", "__").removesuffix(".html") + ".png")
        browser.save_screenshot(str(shot))
        browser.set_window_size(1280, 1000)
        report["screenshot"] = shot
        out[page] = report
    return out


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_without_console_errors(reports, page):
    assert reports[page]["console"] == []


@pytest.mark.parametrize("page", PAGES)
def test_every_image_has_a_natural_size(reports, page):
    assert reports[page]["broken_images"] == []


@pytest.mark.parametrize("page", PAGES)
def test_math_is_typeset(reports, page):
    report = reports[page]
    if report["math"] == 0:
        return  # Sphinx loads MathJax only on pages with math
    assert report["mathjax"], "MathJax did not start"
    assert report["typeset"] == report["math"], f"{report['math'] - report['typeset']} formulas left raw"


def test_chapters_have_figures_and_math(reports):
    notebooks = [Path(f).with_suffix(".html").as_posix() for f in toc_files(ROOT) if f.endswith(".ipynb")]
    assert all(reports[p]["images"] > 0 for p in notebooks)
    assert reports["book/theory.html"]["typeset"] > 10


def test_navigation_reaches_every_chapter(site, reports):
    first = PAGES[0]
    listed = {href.removeprefix(f"{site}/").split("#")[0] for href in reports[first]["sidebar"]}
    assert set(PAGES) - {first} <= listed
    chain, page = [first], first
    while reports[page]["next"] and len(chain) <= len(PAGES):
        page = reports[page]["next"].removeprefix(f"{site}/").split("#")[0]
        chain.append(page)
    assert chain == PAGES


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_the_banner_of_the_build_profile(reports, page):
    profile = read_json(ROOT / "_build" / "results" / "build.json")["profile"]
    assert reports[page]["banner"] == PROFILE_BANNERS[profile], page


CHAPTERS = [Path(f).with_suffix(".html").as_posix() for f in toc_files(ROOT) if f.endswith(".ipynb")]


@pytest.mark.parametrize("page", PAGES)
def test_no_table_cell_is_cut_short(reports, page):
    assert reports[page]["layout"]["truncated"] == []


@pytest.mark.parametrize("page", PAGES)
def test_every_output_fits_the_text_column(reports, page):
    layout = reports[page]["layout"]
    assert layout["too_wide"] == [], f"wider than the {layout['column']:.0f} px column"


@pytest.mark.parametrize("page", PAGES)
def test_code_fits_the_text_column(reports, page):
    """Code of at most 88 columns (tests/test_book.py) shows whole, without a scrollbar,
    including the cells a reader expands."""
    assert reports[page]["layout"]["code_too_wide"] == []


@pytest.mark.parametrize("page", PAGES)
def test_figures_show_at_their_natural_size(reports, page):
    assert reports[page]["layout"]["shrunk"] == []


@pytest.mark.parametrize("page", PAGES)
def test_every_figure_has_a_numbered_caption_and_alt_text(reports, page):
    layout = reports[page]["layout"]
    assert layout["uncaptioned"] == [] and layout["bad_alt"] == []


@pytest.mark.parametrize("page", CHAPTERS)
def test_every_chapter_opens_with_its_findings(reports, page):
    boxes = reports[page]["layout"]["findings"]
    assert len(boxes) == 1 and len(boxes[0]) > 40, boxes  # the glued text, not an empty box


@pytest.mark.parametrize("page", PAGES)
def test_no_papermill_or_bookkeeping_cell_on_the_page(reports, page):
    assert reports[page]["layout"]["bookkeeping"] == []


def test_a_screenshot_of_every_page(reports):
    for report in reports.values():
        assert report["screenshot"].stat().st_size > 10_000  # a real page, not a blank image
