"""Word tasks for in-context learning, on the words of the embedded text (the lecture's unscramble slide).

Every task turns a garbled form of a word back into the word, written as one line ``input = output``:

    unscramble   csat = cast     the inner letters in another order, the first and last kept (as on the slide)
    reverse      tsac = cast     the letters back to front
    cycle        dbtu = cast     every letter shifted one step forward in the alphabet (z -> a)
    rotate       tcas = cast     the last letter moved to the front

The inputs of all four look alike (a few lower-case letters that do not spell a word) and the outputs are always
words, so a query alone does not say which task is meant: the model has to infer it from the demonstrations above
the query, or from the instruction line, the slide's sentence for unscramble and a sentence of the same kind for the
others. A task document holds lines of one task chosen at random and never named; a fraction of them begin with the
task's instruction.

The words are split once into training words and held-out words (disjoint); no line of a training task document
contains a held-out word (as input or output), and evaluation prompts use held-out words only.
"""
import re
from collections import Counter

import numpy as np

TASKS = ("unscramble", "reverse", "cycle", "rotate")
INSTRUCTIONS = {
    "unscramble": "Please unscramble the letters into a word, and write that word:",
    "reverse": "Please reverse the letters into a word, and write that word:",
    "cycle": "Please shift each letter back by one, and write that word:",
    "rotate": "Please move the first letter to the end, and write that word:",
}
KS = (0, 1, 2, 4, 8)  # demonstrations in an evaluation prompt
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"
_NEXT = str.maketrans(_ALPHABET, _ALPHABET[1:] + _ALPHABET[0])


def scramble(word, rng):
    """The slide's scramble (``chiar = chair``, ``pciinc = picnic``: GPT-3's "anagrams of all but the first and last
    letter"): the first and last letters stay, the letters between them take a random other order. A word whose
    inner letters have no other order (``book``, ``cat``) gets a random order of all its letters instead; it always
    differs from ``word`` whenever another order exists (a word of one letter, or of one letter repeated, has none
    and is returned as it is)."""
    inner = word[1:-1]
    if len(set(inner)) >= 2:
        return word[0] + _shuffled(inner, rng) + word[-1]
    return _shuffled(word, rng)


def _shuffled(letters, rng):
    """A random order of ``letters`` other than ``letters`` itself (``letters`` when no other exists)."""
    if len(set(letters)) < 2:
        return letters
    while True:
        s = "".join(letters[i] for i in rng.permutation(len(letters)))
        if s != letters:
            return s


def garble(task, word, rng):
    """The input of ``task`` whose answer is ``word``."""
    if task == "unscramble":
        return scramble(word, rng)
    if task == "reverse":
        return word[::-1]
    if task == "cycle":
        return word.translate(_NEXT)
    if task == "rotate":
        return word[-1] + word[:-1]
    raise ValueError(f"garble: unknown task {task!r}; choose one of {', '.join(TASKS)}")


def line(task, word, rng):
    """One demonstration: ``"input = word"``."""
    return f"{garble(task, word, rng)} = {word}"


def text_words(text, lengths=(3, 5), min_count=5):
    """The lower-case alphabetic words of ``text`` with ``lengths[0] <= len <= lengths[1]`` letters that occur at
    least ``min_count`` times (so the model has met them in the prose), sorted."""
    counts = Counter(w for w in re.findall(r"[A-Za-z]+", text) if w.islower())
    lo, hi = lengths
    return sorted(w for w, n in counts.items() if lo <= len(w) <= hi and n >= min_count)


def split_words(words, held_out=0.25, seed=0):
    """(training words, held-out words): a seeded random split, disjoint, both sorted."""
    if not 0 < held_out < 1:
        raise ValueError(f"split_words: held_out must be in (0, 1), got {held_out}")
    words = sorted(set(words))
    order = np.random.default_rng(seed).permutation(len(words))
    n_held = max(1, int(round(held_out * len(words))))
    held = sorted(words[i] for i in order[:n_held])
    train = sorted(words[i] for i in order[n_held:])
    if not train:
        raise ValueError(f"split_words: {len(words)} words leave no training words")
    return train, held


class TaskDocuments:
    """Random task documents on a list of words: ``document(rng, length)`` is one document of at least ``length``
    characters (lines of one random task, with the task's instruction first in a fraction ``instruction_rate``).

    ``avoid``: words that must never appear in a document's lines (the held-out words): a line whose input happens to
    spell one of them (an unscrambled form of a training word that is another word, say) is drawn again or skipped.

    ``letters_rate``: the share of lines whose answer is a random string of letters instead of a training word (as
    long as the words). A few hundred training words are few enough for a small model to learn by heart, answer and
    all, without reading the input; a line on random letters can only be answered by doing the task, which is what
    carries over to the held-out words."""

    def __init__(self, words, instruction_rate=0.3, avoid=(), letters_rate=0.0):
        self.words = list(words)
        self.avoid = set(avoid)
        if self.avoid & set(self.words):
            raise ValueError(f"TaskDocuments: {sorted(self.avoid & set(self.words))[:5]} are both words to use and "
                             "words to avoid")
        if not 0 <= letters_rate <= 1:
            raise ValueError(f"TaskDocuments: letters_rate must be in [0, 1], got {letters_rate}")
        self.instruction_rate, self.letters_rate = instruction_rate, letters_rate
        self.lengths = sorted({len(w) for w in self.words})

    def answer(self, rng):
        """A training word, or (a fraction ``letters_rate`` of the time) random letters as long as a word."""
        if rng.random() < self.letters_rate:
            n = self.lengths[rng.integers(len(self.lengths))]
            return "".join(_ALPHABET[i] for i in rng.integers(0, 26, n))
        return self.words[rng.integers(len(self.words))]

    def lines(self, task, rng, n):
        """``n`` task lines 'garbled = word', none with a held-out word."""
        out = []
        while len(out) < n:
            word = self.answer(rng)
            for _ in range(10):  # a scramble may spell a held-out word; draw it again
                text = garble(task, word, rng)
                if text not in self.avoid and word not in self.avoid:
                    out.append(f"{text} = {word}")
                    break
        return out

    def document(self, rng, length):
        """``(task, text)``: a document of at least ``length`` characters, lines ending in newlines."""
        task = TASKS[rng.integers(len(TASKS))]
        text = INSTRUCTIONS[task] + "\n" if rng.random() < self.instruction_rate else ""
        while len(text) < length:
            text += "\n".join(self.lines(task, rng, 4)) + "\n"
        return task, text


def few_shot(task, demos, query, rng):
    """An evaluation prompt without instruction, and its answer: one line per demonstration word, then the query's
    ``"input = "``; the answer is the query word (greedy decoding must write ``query + "\\n"``)."""
    body = "".join(line(task, w, rng) + "\n" for w in demos)
    return body + garble(task, query, rng) + " = ", query


def with_instruction(task, text):
    """The same prompt with the task's instruction as its first line."""
    return INSTRUCTIONS[task] + "\n" + text


def answer_after_equals(text):
    """The answer written on a query line: ``text`` starts at the query's line (``"tca = cat\\nxyz = ..."``); the
    answer is what follows its first ``=`` up to the end of that line, surrounding spaces removed (``"cat"``)."""
    first = text.split("\n", 1)[0]
    if "=" not in first:
        return None
    return first.split("=", 1)[1].strip()


def exact_match(text, target):
    """1 if the answer after ``=`` on the query line ``text`` is exactly ``target``, else 0."""
    return int(answer_after_equals(text) == target)


def training_sequences(docs, prose_ids, vocab, n, context, task_fraction, rng, cut_rate=0.0):
    """(x, y), each (n, context): a fraction ``task_fraction`` of the sequences are task documents, the rest windows
    of the prose at random offsets. A task document starts at its beginning (like the evaluation prompts), or, a
    fraction ``cut_rate`` of the time, at a random character inside a longer one: then its lines sit at every
    offset, and a model that finds where a line starts by its position alone (a learned position embedding can)
    is corrected by the text (it must read the ``=`` and the line breaks)."""
    seqs = np.empty((n, context + 1), dtype=np.int64)
    for i in range(n):
        if rng.random() < task_fraction:
            skip = int(rng.integers(1, context)) if rng.random() < cut_rate else 0
            _, text = docs.document(rng, context + 1 + skip)
            seqs[i] = vocab.encode(text[skip:skip + context + 1])
        else:
            start = rng.integers(0, len(prose_ids) - context - 1)
            seqs[i] = prose_ids[start:start + context + 1]
    return seqs[:, :-1], seqs[:, 1:]


def evaluation_prompts(held, queries, seed):
    """Every cell's prompts: ``{(task, k): (prompts, answers)}`` without instruction (the instructed prompt is the
    same text after the instruction line). Query words cycle through the held-out words in a shuffled order; the
    demonstrations are other held-out words. The same prompts for every model size."""
    rng = np.random.default_rng(seed)
    cells = {}
    for task in TASKS:
        for k in KS:
            prompts, answers = [], []
            order = rng.permutation(len(held))
            for q in range(queries):
                word = held[order[q % len(held)]]
                others = [w for w in held if w != word]
                demos = [others[i] for i in rng.choice(len(others), size=k, replace=False)]
                text, answer = few_shot(task, demos, word, rng)
                prompts.append(text)
                answers.append(answer)
            cells[task, k] = (prompts, answers)
    return cells
