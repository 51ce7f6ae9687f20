"""The word tasks of tgg train icl: the scrambler, the other garblings, the word split, the training documents and
the exact-match scorer."""
import numpy as np
from hypothesis import given, strategies as st

from tinygrad_gen.data import pydoc_text
from tinygrad_gen.models import word_tasks as wt
from tinygrad_gen.models.gpt import encode_corpus
from tinygrad_gen.models.word_tasks import evaluation_prompts, training_sequences

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)


@given(words, st.integers(0, 2 ** 32 - 1))
def test_the_scrambler_returns_a_permutation_of_the_letters(word, seed):
    assert sorted(wt.scramble(word, np.random.default_rng(seed))) == sorted(word)


@given(words, st.integers(0, 2 ** 32 - 1))
def test_the_scrambler_never_returns_the_word_when_another_order_exists(word, seed):
    s = wt.scramble(word, np.random.default_rng(seed))
    if len(set(word)) >= 2:
        assert s != word
    else:   # "a", "ooo": every order spells the word
        assert s == word


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=4, max_size=8), st.integers(0, 2 ** 32 - 1))
def test_the_scrambler_keeps_the_first_and_last_letters_when_the_inner_ones_can_move(word, seed):
    s = wt.scramble(word, np.random.default_rng(seed))   # the slide's chiar = chair, pciinc = picnic
    if len(set(word[1:-1])) >= 2:
        assert s[0] == word[0] and s[-1] == word[-1] and s[1:-1] != word[1:-1]


def test_the_scrambler_reaches_every_other_order_of_a_short_word():
    rng = np.random.default_rng(0)
    seen = {wt.scramble("cat", rng) for _ in range(300)}
    assert seen == {"act", "atc", "cta", "tac", "tca"}


def test_the_other_tasks_garble_as_written_by_hand():
    rng = np.random.default_rng(0)
    assert wt.garble("reverse", "cast", rng) == "tsac"
    assert wt.garble("cycle", "cast", rng) == "dbtu"
    assert wt.garble("cycle", "zoo", rng) == "app"
    assert wt.garble("rotate", "cast", rng) == "tcas"


def test_an_unknown_task_is_a_clear_error():
    try:
        wt.garble("shout", "cat", np.random.default_rng(0))
    except ValueError as e:
        assert "shout" in str(e) and "unscramble" in str(e)
    else:
        raise AssertionError("no error")


def test_the_word_split_is_disjoint_and_covers_every_word():
    words = wt.text_words(pydoc_text())
    train, held = wt.split_words(words, 0.25, seed=3)
    assert not set(train) & set(held)
    assert sorted(train + held) == sorted(words)
    assert abs(len(held) - 0.25 * len(words)) <= 1
    assert all(3 <= len(w) <= 5 and w.isalpha() and w.islower() for w in words)


def _demonstration_lines(text):
    """The complete ``input = output`` lines of a text (the last piece of a cut window is not complete)."""
    return [ln.split(" = ") for ln in text.split("\n")[:-1] if " = " in ln]


def test_held_out_words_never_appear_in_a_training_task_document():
    vocab, train_ids, _ = encode_corpus()
    words = wt.text_words(pydoc_text())
    train, held = wt.split_words(words, 0.25, seed=0)
    docs = wt.TaskDocuments(train, 0.3, avoid=held)
    x, y = training_sequences(docs, train_ids, vocab, 400, 192, 1.0, np.random.default_rng(1))
    lines = [pair for row in x for pair in _demonstration_lines(vocab.decode(row))]
    assert len(lines) > 3000
    held = set(held)
    for pair in lines:
        assert len(pair) == 2 and pair[1] in train   # every answer is a training word...
        assert pair[0] not in held and pair[1] not in held   # ...and no side spells a held-out word


def test_every_task_appears_in_the_training_documents_and_some_have_the_instruction():
    docs = wt.TaskDocuments(["cast", "tree", "word"], instruction_rate=0.3)
    rng = np.random.default_rng(0)
    found = [docs.document(rng, 100) for _ in range(400)]
    assert {task for task, _ in found} == set(wt.TASKS)
    told = np.mean([text.startswith(wt.INSTRUCTIONS[task]) for task, text in found])
    assert 0.2 < told < 0.4
    assert all(len(text) >= 100 for _, text in found)


def test_evaluation_prompts_use_k_other_held_out_words_as_demonstrations():
    held = ["bird", "cast", "tree", "word", "lamp", "fish", "rock", "sand", "wind", "frog"]
    cells = evaluation_prompts(held, 30, seed=0)
    for (_task, k), (prompts, answers) in cells.items():
        assert len(prompts) == len(answers) == 30
        for p, a in zip(prompts, answers):
            lines = p.split("\n")
            assert len(lines) == k + 1 and lines[-1].endswith(" = ")
            demos = [ln.split(" = ")[1] for ln in lines[:-1]]
            assert a in held and a not in demos and set(demos) <= set(held)


def test_the_exact_match_scorer_on_hand_made_cases():
    assert wt.answer_after_equals("tca = cat\nxyz = abc") == "cat"
    assert wt.exact_match("tca = cat\n", "cat") == 1
    assert wt.exact_match("tca =  cat  ", "cat") == 1       # spaces around the answer do not count
    assert wt.exact_match("tca = cats\n", "cat") == 0
    assert wt.exact_match("tca = ca\nt", "cat") == 0         # the answer ends at the line's end
    assert wt.exact_match("tca = Cat", "cat") == 0
    assert wt.exact_match("tca cat", "cat") == 0             # no "=": no answer


def test_a_share_of_the_lines_answer_random_letters_and_none_a_held_out_word():
    train, held = ["cast", "tree", "word", "lamp"], ["bird", "fish"]
    docs = wt.TaskDocuments(train, 0.0, avoid=held, letters_rate=0.4)
    rng = np.random.default_rng(0)
    pairs = [ln.split(" = ") for task in wt.TASKS for ln in docs.lines(task, rng, 500)]
    answers = [a for _, a in pairs]
    letters = np.mean([a not in train for a in answers])
    assert 0.35 < letters < 0.45                       # about letters_rate of the answers are random strings
    assert all(len(a) == 4 and a.isalpha() and a.islower() for a in answers)
    assert not {x for pair in pairs for x in pair} & set(held)


def test_reverse_rotate_and_cycle_lines_on_random_letters_follow_their_rule():
    docs = wt.TaskDocuments(["cast"], 0.0, letters_rate=1.0)
    rng = np.random.default_rng(1)
    for task in ("reverse", "cycle", "rotate"):
        for ln in docs.lines(task, rng, 50):
            text, answer = ln.split(" = ")
            assert text == wt.garble(task, answer, rng)


def test_a_bad_letters_rate_is_a_clear_error():
    try:
        wt.TaskDocuments(["cast"], letters_rate=1.5)
    except ValueError as e:
        assert "letters_rate" in str(e) and "1.5" in str(e)
    else:
        raise AssertionError("no error")


def test_cut_documents_put_lines_at_every_offset_and_the_rest_start_at_the_beginning():
    import re
    vocab, train_ids, _ = encode_corpus()
    docs = wt.TaskDocuments(["cast", "tree", "word"], instruction_rate=0.0)
    x, _ = training_sequences(docs, train_ids, vocab, 600, 64, 1.0, np.random.default_rng(2), cut_rate=0.5)
    texts = [vocab.decode(row) for row in x]
    # uncut documents begin with a whole line; a cut one does only when the cut falls on a line break (1 in 12)
    begins = np.mean([re.match(r"[a-z]{4} = [a-z]{4}\n", t) is not None for t in texts])
    assert 0.45 < begins < 0.65
    assert len({t.index(" = ") for t in texts}) >= 8   # cut ones begin anywhere inside a line
