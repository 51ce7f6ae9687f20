"""The models built on tinygrad_gen, each a ``tgg train`` / ``tgg sample`` target.

``TARGETS`` maps a target's name to its module in this package: the one list of targets, so that the engine and
the library never name a model. A target module defines ``add_arguments(parser)`` and ``train(args, run)`` (and
``sample(args)`` to be sampled from); adding a target is one line here.
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
