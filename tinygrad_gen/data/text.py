"""Text data: a corpus, a character vocabulary (GPT) and a word vocabulary with BERT's special tokens.

The default corpus is the English prose that ships with Python itself, the help topics of ``pydoc_data.topics``,
sorted by topic name and joined with newlines (about 465 000 characters); the last 10 % is held out. Any UTF-8
text file can be given instead.
"""
import re
from collections import Counter
from pathlib import Path

import numpy as np

SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")

# words (identifiers like __init__ included; an inner apostrophe as in "don't" too) and numbers are tokens;
# every other non-space character is a token of its own
_TOKEN = re.compile(r"\w+(?:'\w+)?|[^\w\s]")
# a sentence ends at . ! or ? followed by space and an upper-case letter, a quote or a bracket
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\u201c])")
# in pydoc_data every topic starts with its title underlined by asterisks
_TOPIC_TITLE = re.compile(r"^(?=.+\n\*{3,}\n)", re.MULTILINE)


def pydoc_text():
    """Python's help topics, sorted by name and joined with newlines."""
    from pydoc_data.topics import topics
    return "\n".join(topics[name] for name in sorted(topics))


def load_text(path=None):
    """The whole corpus: ``pydoc_text()``, or the UTF-8 file at ``path``."""
    if path is None:
        return pydoc_text()
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"load_text: no text file at {str(path)!r}")
    return path.read_text(encoding="utf-8")


def text_corpus(path=None, holdout=0.1):
    """``(train_text, val_text)``: the corpus with its last ``holdout`` fraction of characters held out."""
    if not 0 <= holdout < 1:
        raise ValueError(f"text_corpus: holdout must be in [0, 1), got {holdout}")
    text = load_text(path)
    cut = int(round(len(text) * (1 - holdout)))
    return text[:cut], text[cut:]


def tokenize(text):
    """Lower-cased word tokens and punctuation tokens: ``"Don't panic!" -> ["don't", "panic", "!"]``."""
    return _TOKEN.findall(text.lower())


def split_documents(text):
    """Split a text into documents: at pydoc topic titles when there are any, else the whole text is one document."""
    docs = [d for d in _TOPIC_TITLE.split(text) if d.strip()]
    return docs or [text]


def split_sentences(document):
    """The prose sentences of a document, in order.

    Paragraphs are separated by blank lines; headings (a line underlined by ``*=-~^``) and indented blocks (code,
    grammar) are not prose and are dropped; a paragraph's lines are joined and split at sentence ends.
    """
    sentences = []
    for para in re.split(r"\n\s*\n", document):
        lines = para.strip("\n").split("\n")
        if not lines[0].strip() or lines[0][:1].isspace():
            continue
        lines = [ln for i, ln in enumerate(lines)
                 if not re.fullmatch(r"[*=\-~^]{3,}", ln.strip())
                 and not (i + 1 < len(lines) and re.fullmatch(r"[*=\-~^]{3,}", lines[i + 1].strip()))]
        prose = " ".join(ln.strip() for ln in lines)
        sentences += [s.strip() for s in _SENTENCE_END.split(prose) if s.strip()]
    return sentences


def sentence_documents(text):
    """Documents as lists of sentences, documents with fewer than two sentences dropped: the input of BERT's
    next-sentence prediction (a sentence's true successor is the next one in its document)."""
    docs = [split_sentences(d) for d in split_documents(text)]
    return [d for d in docs if len(d) >= 2]


class CharVocab:
    """One id per distinct character of a text (sorted), for character-level language models."""

    def __init__(self, text):
        self.itos = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, text):
        """The ids of ``text`` as an int64 array."""
        try:
            return np.fromiter((self.stoi[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as e:
            raise ValueError(f"CharVocab.encode: character {e.args[0]!r} is not in the vocabulary "
                             f"of {len(self)} characters") from None

    def decode(self, ids):
        """The text of token ids (the inverse of ``encode``)."""
        ids = np.asarray(ids).ravel()
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"CharVocab.decode: ids must be in [0, {len(self)}), got {ids.min()}..{ids.max()}")
        return "".join(self.itos[i] for i in ids.tolist())


class WordVocab:
    """Word-level vocabulary: the special tokens first (``[PAD]`` = 0, ``[UNK]``, ``[CLS]``, ``[SEP]``, ``[MASK]``),
    then every token seen at least ``min_count`` times, most frequent first (ties alphabetically), at most
    ``max_size`` entries in all. Unknown words encode to ``[UNK]``."""

    def __init__(self, text_or_tokens, min_count=1, max_size=None):
        tokens = tokenize(text_or_tokens) if isinstance(text_or_tokens, str) else list(text_or_tokens)
        counts = Counter(tokens)
        words = sorted((w for w, c in counts.items() if c >= min_count and w not in SPECIALS),
                       key=lambda w: (-counts[w], w))
        self.itos = list(SPECIALS) + words
        if max_size is not None:
            if max_size < len(SPECIALS):
                raise ValueError(f"WordVocab: max_size {max_size} is smaller than the {len(SPECIALS)} special tokens")
            self.itos = self.itos[:max_size]
        self.stoi = {w: i for i, w in enumerate(self.itos)}
        self.pad_id, self.unk_id, self.cls_id, self.sep_id, self.mask_id = range(len(SPECIALS))

    def __len__(self):
        return len(self.itos)

    def encode(self, text_or_tokens):
        """Ids (int64) of a text (tokenized first) or of a list of tokens; unknown tokens become ``[UNK]``."""
        tokens = tokenize(text_or_tokens) if isinstance(text_or_tokens, str) else text_or_tokens
        return np.array([self.stoi.get(t, self.unk_id) for t in tokens], dtype=np.int64)

    def decode(self, ids, skip_pad=True):
        """Tokens joined by spaces; ``[PAD]`` dropped unless ``skip_pad=False``."""
        ids = np.asarray(ids).ravel()
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"WordVocab.decode: ids must be in [0, {len(self)}), got {ids.min()}..{ids.max()}")
        return " ".join(self.itos[i] for i in ids.tolist() if not (skip_pad and i == self.pad_id))


class TextWindows:
    """Every window of ``context`` tokens of ``ids`` with its next-token targets, as a dataset for ``DataLoader``:
    ``windows[starts]`` is ``(ids[s : s+T], ids[s+1 : s+T+1])`` for each start s, so a shuffled loader serves
    windows at random offsets (a language model's batches)."""

    def __init__(self, ids, context):
        self.ids, self.context = np.asarray(ids), int(context)
        if len(self.ids) <= self.context:
            raise ValueError(f"TextWindows: {len(self.ids)} tokens give no window of {self.context} and its target")

    def __len__(self):
        return len(self.ids) - self.context

    def __getitem__(self, starts):
        offsets = np.asarray(starts)[..., None] + np.arange(self.context)
        return self.ids[offsets], self.ids[offsets + 1]
