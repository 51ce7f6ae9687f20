"""A target's config dataclass is the one place for its defaults; its ``tgg train`` options are generated from it.

    @dataclass
    class DCGANConfig:
        z_dim: int = option(32, type=positive_int, help="size of the code z")
        epochs: int = 40                       # the run's length: becomes the default of the common --epochs

    def add_arguments(parser):
        add_config_arguments(parser, DCGANConfig)

Each field made with ``option`` becomes ``--name`` (underscores as dashes) with the field's default, ``type``,
``choices`` and ``help``; a bool one that defaults to False becomes a switch. A plain field is a fixed part of the
recipe, not an option. ``epochs`` and ``steps`` are the common length options of ``tgg train``: a field of that name
only sets their default. A field given ``quick=`` (a smaller value for ``--quick`` smoke runs) is parsed with
default None, and ``settle_quick(args, ScalingConfig)`` fills what the user left unset: the field's default, or its
quick value under ``--quick``. ``config_of(args, DCGANConfig)`` turns parsed
options (or a run's ``config.json``, or any namespace) back into the config, so benchmarks and ``tgg graph`` build
exactly what ``tgg train`` trains.
"""
import dataclasses
from typing import Any, Callable, Optional

LENGTHS = ("epochs", "steps")


_UNSET = object()


def option(default: Any, help: Optional[str] = None, type: Optional[Callable] = None,
           choices: Optional[tuple] = None, quick: Any = _UNSET) -> Any:
    """A config field with the argparse details of its option (its default stays the dataclass default);
    ``quick``: the value ``--quick`` uses instead, when the option is not given."""
    meta = {"help": help, "type": type, "choices": choices}
    if quick is not _UNSET:
        meta["quick"] = quick
    return dataclasses.field(default=default, metadata=meta)


def settle_quick(args, config_cls) -> None:
    """Fill each field of ``config_cls`` made with ``quick=`` that ``args`` leaves None: its quick value if
    ``args.quick``, else its default."""
    for f in dataclasses.fields(config_cls):
        if "quick" in f.metadata and getattr(args, f.name, None) is None:
            setattr(args, f.name, f.metadata["quick"] if getattr(args, "quick", False) else f.default)


def add_config_arguments(parser, config_cls, title: Optional[str] = None) -> None:
    """Add one option per field of ``config_cls`` to ``parser`` (in a group ``title``, if given)."""
    target = parser.add_argument_group(title) if title else parser
    for f in dataclasses.fields(config_cls):
        unset = "quick" in f.metadata  # parsed as None, so settle_quick can tell a given value from a default
        if f.name in LENGTHS:
            parser.set_defaults(**{f.name: None if unset else f.default})
            continue
        meta, flag = f.metadata, "--" + f.name.replace("_", "-")
        if "type" not in meta:  # a fixed part of the recipe
            continue
        if f.default is False and meta.get("type") is None:
            target.add_argument(flag, action="store_true", help=meta.get("help"))
            continue
        kwargs = {k: meta[k] for k in ("type", "choices", "help") if meta.get(k) is not None}
        if "type" not in kwargs and f.default is not None and not isinstance(f.default, (str, bool)):
            kwargs["type"] = type(f.default)
        if unset:
            kwargs["help"] = f"{kwargs.get('help', '')} (default {f.default}; --quick {meta['quick']})".lstrip()
        target.add_argument(flag, default=None if unset else f.default, **kwargs)


def config_of(args, config_cls):
    """The ``config_cls`` of parsed options (any object or dict with the fields; a missing field keeps its
    default, as in a run written before the field existed)."""
    values = args if isinstance(args, dict) else vars(args)
    return config_cls(**{f.name: values[f.name] for f in dataclasses.fields(config_cls) if f.name in values})
