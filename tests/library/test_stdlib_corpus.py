"""The standard library's docstrings as a corpus: read with ast in source order, prose only, one document per
module, sorted and deterministic, and a held-out split of whole top-level packages disjoint from training."""
import textwrap

import pytest

from tinygrad_gen.data import stdlib_docstrings as sd

SOURCE = textwrap.dedent('''
    """The module says hello. It has two sentences."""
    import os

    def first():
        """First function does one thing.

        >>> first()
        42

        It returns :func:`len` of nothing at all.
        """

    class Thing:
        """A thing holds some value here."""

        def method(self):
            """The method of the thing comes after it.

                indented code block = 1

            Prose after the block is kept here.
            """

    def last():
        """Last function ends the module now."""
''')


def _write(root, files):
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_docstrings_come_in_source_order_nested_after_their_parent():
    docs = sd.docstrings(SOURCE)
    assert [d.split()[0] for d in docs] == ["The", "First", "A", "The", "Last"]
    assert docs[3].startswith("The method") and sd.docstrings("def broken(:\n") == []


def test_prose_sentences_drop_doctests_and_indented_blocks_and_keep_the_text_of_roles():
    docs = sd.docstrings(SOURCE)
    assert sd.prose_sentences(docs[1]) == ["First function does one thing.", "It returns len of nothing at all."]
    assert sd.prose_sentences(docs[3]) == ["The method of the thing comes after it.",
                                           "Prose after the block is kept here."]
    assert sd.prose_sentences("x = f(a, b) + g(c)[0]") == []   # mostly symbols: not prose
    assert sd.prose_sentences("Too short.") == []


def test_module_files_are_sorted_by_name_and_skip_tests(tmp_path):
    root = _write(tmp_path, {"zeta.py": "", "alpha/__init__.py": "", "alpha/beta.py": "", "test/test_x.py": "",
                             "alpha/tests/t.py": "", "bad-name.py": "", "site-packages/pkg/m.py": ""})
    assert [name for name, _ in sd.module_files(root)] == ["alpha", "alpha.beta", "zeta"]
    with pytest.raises(FileNotFoundError, match="no standard library folder"):
        sd.module_files(tmp_path / "missing")


def test_one_document_per_module_with_sentences_met_earlier_dropped(tmp_path):
    shared = "This sentence is in both of the modules."
    root = _write(tmp_path, {
        "a.py": f'"""{shared} Module a has its own words too."""\n',
        "b.py": f'"""{shared} Module b has other words here. And a third sentence here."""\n',
        "c.py": '"""Only one sentence in this module."""\n'})
    docs = sd.read_documents(root)
    assert list(docs) == ["a", "b"]                     # c has fewer than two sentences
    assert docs["a"] == [shared, "Module a has its own words too."]
    assert docs["b"] == ["Module b has other words here.", "And a third sentence here."]


def test_reading_the_library_twice_gives_the_same_documents_in_the_same_order():
    root = sd.stdlib_root() / "email"   # a real package: quick to read twice
    first, second = sd.read_documents(root), sd.read_documents(root)
    assert first == second and list(first) == sorted(first) and len(first) >= 5


def test_held_out_split_is_whole_top_level_packages_disjoint_from_training():
    docs = sd.stdlib_documents()
    train, held = sd.split_corpus(docs)
    assert set(train) | set(held) == set(docs) and not set(train) & set(held)
    assert not {m.split(".")[0] for m in train} & {m.split(".")[0] for m in held}
    train_sentences = {s for doc in train.values() for s in doc}
    assert not train_sentences & {s for doc in held.values() for s in doc}   # no held-out text seen in training
    assert 0.03 < len(held) / len(docs) < 0.2 and len(train) >= 300
    assert list(train) == sorted(train) and list(held) == sorted(held)
    assert sd.stdlib_corpus() == (list(train.values()), list(held.values()))


def test_the_split_of_a_module_does_not_depend_on_the_other_modules():
    names = ["email.mime.text", "email", "json.decoder", "json", "os"]
    assert [sd.is_held_out(n) for n in names] == [sd.is_held_out(n.split(".")[0]) for n in names]
    with pytest.raises(ValueError, match="every must be at least 2"):
        sd.is_held_out("os", every=1)


def test_describe_counts_both_splits_and_shows_a_sample(capsys):
    d = sd.describe()
    docs = sd.stdlib_documents()
    assert d["documents"] == len(docs) == d["train"]["documents"] + d["held_out"]["documents"]
    assert d["train"]["sentences"] + d["held_out"]["sentences"] == sum(map(len, docs.values()))
    assert d["train"]["words"] > 100_000 and d["python"].count(".") == 2
    (module, sample), = d["sample"].items()
    assert sd.is_held_out(module) and sample == docs[module][:3]
    sd.main()
    out = capsys.readouterr().out
    assert f"Python {d['python']}" in out and "PSF" in out and sample[0] in out
