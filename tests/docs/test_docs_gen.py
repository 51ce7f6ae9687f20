"""The docs generator (``python -m tinygrad_gen.cli.docs``): formulas become math and prose stays prose, every public
name and every op row gets its place, the committed notebooks carry their outputs, and the strict build fails on
a broken link, a missing anchor or a missing docstring."""
import json
import re
import shutil
import subprocess
import sys

import pytest

import tinygrad_gen as tg
from tinygrad_gen import autograd, binding, ops
from tinygrad_gen.cli import docs
from tinygrad_gen.cli.docs import catalogue, mathtext, reference
from tinygrad_gen.op_cases import all_cases

from site_helpers import build_site

pytestmark = pytest.mark.docs
NOTEBOOKS = sorted((docs.ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("text, latex", [
    ("z = 1 / (1 + exp(-a))", r"z = 1 / (1 + \exp (-a))"),
    ("e^-a", "e^{-a}"),
    ("(1 - z^2)", "(1 - z^{2})"),
    ("sqrt(var + eps)", r"\sqrt{\operatorname{var} + \epsilon}"),
    ("sigma * x_i <= mu", r"\sigma \,  x_{i} \le  \mu"),
])
def test_plain_text_formulas_become_latex(text, latex):
    assert mathtext.to_latex(text) == latex


def test_only_the_formula_spans_of_a_line_become_math():
    out = mathtext.prose_with_math("backward: dz/da = 1 - tanh(a)^2 (quotient rule), so da = g * (1 - z^2), "
                                   "from the saved output.")
    assert out.count("<math") == 2
    text_outside = "".join(part.split("</math>")[-1] for part in out.split("<math"))
    assert "quotient rule" in text_outside and "from the saved output." in text_outside
    assert "<math" not in mathtext.prose_with_math("Integer inputs give float32, as in PyTorch.")


@pytest.mark.parametrize("expr, names", [
    ("torch.nn.functional.silu(a)", ["torch.nn.functional.silu"]),
    ("a.sum(-1, keepdim=True)", ["torch.Tensor.sum"]),
    ("torch.logsumexp(a, -1)", ["torch.logsumexp"]),
])
def test_the_pytorch_name_is_read_off_the_twin(expr, names):
    assert catalogue.torch_names(expr) == names


def test_the_catalogue_has_every_op_row_and_every_function():
    pages, failed = catalogue.pages()
    assert not failed
    index = pages["index.md"]
    assert all(f"`{case.name}`" in index for case in all_cases())
    for family in ops.FAMILIES:
        page = pages[family.__name__.rsplit(".", 1)[-1] + ".md"]
        for name, cls in vars(family).items():
            if isinstance(cls, type) and issubclass(cls, autograd.Function) and cls.__module__ == family.__name__:
                assert f'<h2 id="{reference.anchor(name)}">' in page, name
    assert "torch.nn.functional.silu" in pages["activations.md"] and "<math" in pages["activations.md"]


def test_the_reference_has_every_bound_name():
    pages, missing = reference.pages()
    assert not missing
    for row in binding.rows((autograd,) + ops.FAMILIES):
        for name in row.methods:
            assert f'id="{reference.anchor("Tensor." + name)}"' in pages["tensor.md"], name
        for name in row.functions:
            assert f'id="{reference.anchor("tg." + name)}"' in pages["tg.md"], name
        for name in row.functionals:
            assert f'id="{reference.anchor("F." + name)}"' in pages["functional.md"], name


def test_a_public_name_without_a_docstring_stops_the_build(monkeypatch, tmp_path):
    monkeypatch.setattr(tg.Tensor.tanh, "__doc__", None)
    _, missing = reference.pages()
    assert "Tensor.tanh" in missing
    with pytest.raises(docs.DocsError, match="no docstring: Tensor.tanh"):
        docs.generate(tmp_path / "docs")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_notebook_is_committed_run_with_its_outputs_and_checks_its_claims(path):
    assert path.stat().st_size < 2 ** 20
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c["execution_count"] is not None for c in code)
    assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert sum("assert " in "".join(c["source"]) for c in code) >= 2
    assert nb["cells"][0]["cell_type"] == "markdown" and "".join(nb["cells"][0]["source"]).startswith("# ")


def test_one_notebook_per_part_of_the_lecture():
    assert [p.stem for p in NOTEBOOKS] == ["01_backprop", "02_gans", "03_autoencoders_vae", "04_transformers",
                                           "05_llm_claims", "06_kernels"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("docs")
    build_site(out)
    return out


def test_the_strict_build_writes_every_page(built):
    site = built / "site"
    for page in ("index.html", "stepper.html", "stepper/mlp.html", "ops/index.html", "ops/activations.html",
                 "api/tensor.html", "api/functional.html", "lecture-map.html", "exercises.html", "benchmarks.html",
                 "notebooks/01_backprop.html", "search/search_index.json"):
        assert (site / page).is_file(), page
    assert "<math" in (site / "ops" / "activations.html").read_text()
    for page in site.rglob("*.html"):  # the site loads nothing from another host: it works offline
        assert not re.search(r'(src|<link[^>]*href)="(https?:)?//', page.read_text()), page


@pytest.mark.parametrize("bad_link, message", [("[gone](no-such-page.md)", "no-such-page.md"),
                                               ("[gone](api/tensor.md#tensor-no_such_method)",
                                                "tensor-no_such_method")])
def test_the_strict_build_fails_on_a_broken_link_or_a_missing_name(built, tmp_path, bad_link, message):
    out = tmp_path / "b"
    shutil.copytree(built / "docs", out / "docs")
    (out / "docs" / "index.md").write_text((out / "docs" / "index.md").read_text() + f"\n{bad_link}\n")
    config = (built / "mkdocs.yml").read_text().replace(
        "INHERIT: ", f"INHERIT: {docs.ROOT / 'mkdocs.yml'}\n# was: ", 1)
    (out / "mkdocs.yml").write_text(config)
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(out / "mkdocs.yml")],
                          capture_output=True, text=True)
    assert done.returncode != 0 and message in done.stderr + done.stdout
