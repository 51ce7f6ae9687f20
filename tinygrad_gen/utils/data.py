"""``torch.utils.data`` here: ``from tinygrad_gen.utils.data import DataLoader, TensorDataset`` (the classes live in
``tinygrad_gen.data``)."""
from ..data.dataset import (ConcatDataset, Dataset, Subset, TensorDataset, default_collate, default_convert,
                            random_split)
from ..data.loader import DataLoader

__all__ = ["ConcatDataset", "DataLoader", "Dataset", "Subset", "TensorDataset", "default_collate", "default_convert",
           "random_split"]
