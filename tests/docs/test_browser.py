"""The built docs site in a real browser (headless Chromium through the DevTools protocol): an op page shows its
derivation as rendered math, the search finds an op by its PyTorch name, the notebook pages show their figures,
the backward stepper can be clicked through to the end with its ``+=`` step, and no page logs an error."""
import json
import re

import pytest

from cdp import Browser, chromium
from site_helpers import Server, build_site

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    server = Server(build_site(tmp_path_factory.mktemp("docs")))
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser():
    exe = chromium()
    assert exe, "the browser test needs Chromium: apt-get install -y chromium (.ci/run installs it)"
    b = Browser(exe)
    yield b
    b.close()


def test_an_op_page_shows_its_derivation_as_rendered_math(site, browser):
    browser.goto(site.url + "ops/activations.html")
    found = browser.eval("""(() => {
        const m = [...document.querySelectorAll('#tanh ~ .derivation math')];
        const box = m.length ? m[0].getBoundingClientRect() : {width: 0, height: 0};
        return {count: m.length, native: typeof MathMLElement !== 'undefined' && m[0] instanceof MathMLElement,
                width: box.width, height: box.height, text: m.map(e => e.textContent).join(' ')};
    })()""")
    assert found["count"] >= 2 and found["native"]
    assert found["width"] > 20 and found["height"] > 8      # laid out as math, not an empty element
    assert "tanh" in found["text"]
    assert not browser.errors, browser.errors


@pytest.mark.parametrize("query, page", [("torch.nn.functional.silu", "ops/activations.html"),
                                         ("torch.logsumexp", "ops/reductions.html")])
def test_the_search_finds_an_op_by_its_pytorch_name(site, browser, query, page):
    browser.goto(site.url + "index.html")
    browser.eval(f"""(() => {{
        const input = document.querySelector('.md-search__input');
        input.focus(); input.value = {json.dumps(query)};
        input.dispatchEvent(new Event('input', {{bubbles: true}}));
        input.dispatchEvent(new KeyboardEvent('keyup', {{bubbles: true, key: 'u'}}));
        return true;
    }})()""")
    links = browser.wait_for("""(() => {
        const a = [...document.querySelectorAll('.md-search-result__item a')].map(a => a.getAttribute('href'));
        return a.length ? a : null; })()""")
    assert any(page in href for href in links[:8]), links[:8]
    assert not browser.errors, browser.errors


@pytest.mark.parametrize("notebook", ["01_backprop", "02_gans", "03_autoencoders_vae", "04_transformers",
                                      "05_llm_claims", "06_kernels"])
def test_the_notebook_pages_show_their_figures(site, browser, notebook):
    browser.goto(site.url + f"notebooks/{notebook}.html")
    figures = browser.wait_for("""(() => {
        const imgs = [...document.querySelectorAll('article img')];
        return imgs.length && imgs.every(i => i.complete) ? imgs.map(i => [i.naturalWidth, i.naturalHeight]) : null;
    })()""")
    assert all(w > 50 and h > 50 for w, h in figures), figures
    assert not browser.errors, browser.errors


def test_the_first_notebook_embeds_a_working_stepper(site, browser):
    browser.goto(site.url + "notebooks/01_backprop.html")
    label = browser.wait_for("""(() => { const f = document.querySelector('.nb-html iframe');
        const d = f && f.contentDocument; const next = d && d.getElementById('next');
        if (!next) return null; next.click(); return d.getElementById('step-label').textContent; })()""")
    assert re.fullmatch(r"step 1 of \d+", label), label
    assert not browser.errors, browser.errors


def test_the_stepper_clicks_through_the_backward_pass(site, browser):
    browser.goto(site.url + "stepper.html")
    browser.wait_for("(() => { const f = document.getElementById('stepper-frame'); "
                     "return !!(f && f.contentDocument && f.contentDocument.getElementById('next')); })()")
    doc = "document.getElementById('stepper-frame').contentDocument"
    steps = json.loads(browser.eval(f"{doc}.getElementById('steps-data').textContent"))
    assert browser.eval(f"{doc}.getElementById('step-label').textContent") == f"step 0 of {len(steps)}"
    seen_plus_equals = False
    for k, step in enumerate(steps, 1):
        state = browser.eval(f"""(() => {{ const d = {doc}; d.getElementById('next').click();
            return {{label: d.getElementById('step-label').textContent,
                     current: [...d.querySelectorAll('.node.current')].map(e => e.id),
                     accum: [...d.querySelectorAll('.node.accum')].map(e => e.id),
                     detail: d.getElementById('detail').textContent}}; }})()""")
        assert state["label"] == f"step {k} of {len(steps)}"
        assert state["current"] == ["n-" + step["node"]]           # the node being visited is highlighted
        assert step["op"] in state["detail"]
        expected = ["n-" + s["tensor"] for s in step["sends"] if s["accumulated"]]
        assert sorted(state["accum"]) == sorted(set(expected))
        if expected:
            seen_plus_equals = True
            assert "+=" in state["detail"]
    assert seen_plus_equals, "the page's example reuses a tensor, so one step must show +="
    assert browser.eval(f"{doc}.getElementById('next').disabled")
    shown = browser.eval(f"[...{doc}.querySelectorAll('.node.leaf .g')].map(e => e.textContent)")
    assert len(shown) == 4 and all(re.fullmatch(r"grad norm [\d.e+-]+", s) for s in shown)  # every parameter got one
    browser.eval(f"{doc}.getElementById('prev').click()")
    assert browser.eval(f"{doc}.getElementById('step-label').textContent") == f"step {len(steps) - 1} of {len(steps)}"
    assert not browser.errors, browser.errors
