"""Data that needs no download: scikit-learn's digits, toy Gaussian mixtures with known densities, Python's own
documentation as text (its help topics and its standard library's docstrings); plus an IDX (MNIST) reader, a
seeded ``DataLoader`` and PyTorch's ``Dataset`` classes."""
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, default_collate, random_split
from .digits import digits
from .idx import mnist, read_idx
from .loader import DataLoader
from .stdlib_docstrings import stdlib_corpus
from .text import (SPECIALS, CharVocab, TextWindows, WordVocab, load_text, pydoc_text, sentence_documents,
                   split_documents, split_sentences, text_corpus, tokenize)
from .toy import GaussianMixture, gaussians_1d, grid_gaussians, grid_mixture, mixture_1d, ring_gaussians, ring_mixture
