"""The models built on tinygrad_gen, each a ``tgg train`` / ``tgg sample`` target.

``TARGETS`` maps a target's name to its module in this package: the one registry of targets, so that the engine
and the library never name a model. ``tgg train`` and ``tgg sample`` offer every target, ``tgg graph`` those with a
``graph_step``, ``tgg bench step`` those with a ``benchmarks/step_<name>.py``. A target module defines
  * ``TRAINED_BY``: ``"epochs"`` or ``"steps"`` (or both, ``("epochs", "steps")``): the length option tgg train
    offers it (the other is refused);
  * a config dataclass, the one place for its defaults (``DCGANConfig``; ``models/config_options.py``), and
    ``add_arguments(parser)`` generating its options from it (numbers typed with ``tinygrad_gen.options``, so bad
    values are refused when parsed; its default length is the config's ``epochs`` or ``steps``);
  * one function for its training step's losses (``step_losses``, or ``next_character_loss`` / ``pretraining_loss``
    for the language models), which ``train``, its step benchmark and ``graph_step`` all call;
  * ``train(args, run)``: its loop, writing through a ``tinygrad_gen.run.Run``;
  * optionally ``settle(args)``, filling the options whose defaults depend on others (``--quick``) before tgg
    train writes the run's ``config.json``;
  * ``graph_step()`` to be drawn by ``tgg graph``: ({loss name: loss}, the Module or {name: Module} it trains);
  * ``sample(args)`` to be sampled from, rebuilding the run through ``tinygrad_gen.run.load_run`` and writing into
    ``args.out`` (``args.n`` samples; ``add_sample_arguments(parser)`` may add options or change ``--n``'s default);
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
    "bert_efficiency": "bert_efficiency",
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
