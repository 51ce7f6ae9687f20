"""Greedy decoding of a GPT over prompts of different lengths, and the one-pass check that it writes a given text."""

import tinygrad_gen as tg
from tinygrad_gen.data import CharVocab
from tinygrad_gen.models.gpt import GPT, GPTConfig
from tinygrad_gen.models.greedy import greedy_decode, greedy_matches

VOCAB = CharVocab("abcdefghijklmnopqrstuvwxyz =\n")
PROMPTS = ["tca = ", "ab = ba\ncd = ", "x", "hello = olleh\nword = drow\nabc = "]


def _model():
    tg.manual_seed(0)
    model = GPT(GPTConfig(len(VOCAB), 48, 2, 16, 2))
    for p in model.parameters():   # larger weights than the init, so that the arg-max varies from step to step
        p._data[...] *= 20
    return model


def test_batched_greedy_decoding_equals_decoding_each_prompt_alone():
    model = _model()
    together = greedy_decode(model, VOCAB, PROMPTS, 6, stop=None)
    alone = [greedy_decode(model, VOCAB, [p], 6, stop=None)[0] for p in PROMPTS]
    assert together == alone
    assert len(set(together)) > 1


def test_the_one_pass_check_agrees_with_step_by_step_decoding():
    model = _model()
    decoded = greedy_decode(model, VOCAB, PROMPTS, 6, stop=None)
    assert greedy_matches(model, VOCAB, PROMPTS, decoded).all()
    for i in range(6):   # change any one character of what greedy decoding wrote: no longer what it writes
        wrong = [d[:i] + ("a" if d[i] != "a" else "b") + d[i + 1:] for d in decoded]
        assert not greedy_matches(model, VOCAB, PROMPTS, wrong).any()


def test_a_prompt_longer_than_the_context_is_a_clear_error():
    model = _model()
    try:
        greedy_matches(model, VOCAB, ["a" * 60], ["b\n"])
    except ValueError as e:
        assert "context" in str(e) and "48" in str(e)
    else:
        raise AssertionError("no error")
