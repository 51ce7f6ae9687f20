"""The models built on tinygrad_gen, each a ``tgg train`` / ``tgg sample`` target.

``TARGETS`` maps a target's name to its module in this package: the one list of targets, so that the engine and
the library never name a model. A target module defines
  * ``TRAINED_BY``: ``"epochs"`` or ``"steps"`` (or both, ``("epochs", "steps")``): the length option tgg train
    offers it (the other is refused);
  * ``add_arguments(parser)``: its own options (numbers typed with ``tinygrad_gen.options``, so bad values are
    refused when parsed), and its default length, ``parser.set_defaults(epochs=...)``;
  * ``train(args, run)``: its loop, writing through a ``tinygrad_gen.run.Run``;
  * ``sample(args)`` to be sampled from, rebuilding the run through ``tinygrad_gen.run.load_run``;
and a docstring whose first paragraph (the ``--help`` description) is whole sentences. Adding a target is one line
here.
"""
import importlib

TARGETS = {
    "logreg": "logreg",
    "ae": "autoencoder",
    "vae": "vae",
    "gan1d": "gan1d",
    "gan2d": "gan2d",
    "dcgan": "dcgan",
    "cyclegan": "cyclegan",
    "gpt": "gpt",
    "bert": "bert",
    "icl": "icl",
    "scaling": "scaling",
}


def load(name):
    """The module of target ``name``; a ValueError naming the targets for an unknown one."""
    if name not in TARGETS:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(TARGETS)}")
    module_name = f"{__name__}.{TARGETS[name]}"
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name != module_name:  # the model exists but something it imports does not: show that
            raise
        raise ValueError(f"model {name!r} is not available yet (no module {module_name})") from None
