"""Each model once: a target's config dataclass is the one place for its defaults, ``tgg train`` offers exactly its
fields as options, and the step benchmarks build what ``tgg train`` trains from the same config."""
import argparse
import dataclasses

import numpy as np
import pytest

import tinygrad_gen as tg
from tinygrad_gen.benchmarks import bench_step, step_bert, step_cyclegan, step_dcgan, step_gan2d, step_gpt, step_vae
from tinygrad_gen.cli.train import build_parser, load_model
from tinygrad_gen.models import (TARGETS, autoencoder, bert, bert_efficiency, config_options, cyclegan, dcgan, gan1d,
                                 gan2d, gpt, icl, logreg, scaling, vae)
from tinygrad_gen.models.config_options import add_config_arguments, config_of, option

CONFIGS = {"gan2d": gan2d.GAN2DConfig, "dcgan": dcgan.DCGANConfig, "vae": vae.VAEConfig,
           "cyclegan": cyclegan.CycleGANConfig, "gpt": gpt.GPTTrainConfig, "bert": bert.BERTTrainConfig,
           "logreg": logreg.LogregConfig, "ae": autoencoder.AutoencoderConfig, "gan1d": gan1d.GAN1DConfig,
           "icl": icl.ICLConfig, "scaling": scaling.ScalingConfig, "bert_efficiency": bert_efficiency.EfficiencyConfig}
QUICK = ("icl", "scaling", "bert_efficiency")  # their --quick fields are parsed as None and settled when the run starts


def defaults(name):
    """The options ``tgg train NAME`` parses when given none."""
    return vars(build_parser(name, load_model(name)).parse_args([]))


def test_every_target_has_a_config():
    assert set(CONFIGS) == set(TARGETS)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_tgg_train_defaults_are_the_configs(name):
    parsed, config = defaults(name), CONFIGS[name]()
    if name in QUICK:
        args = argparse.Namespace(**parsed)
        config_options.settle_quick(args, CONFIGS[name])
        parsed = vars(args)
    options = [f.name for f in dataclasses.fields(config) if "type" in f.metadata or f.name in ("epochs", "steps")]
    assert options and {k: parsed[k] for k in options} == {k: getattr(config, k) for k in options}
    assert config_of(parsed, CONFIGS[name]) == config


def test_every_step_benchmark_is_a_target_with_a_config():
    assert set(bench_step.step_models()) <= set(CONFIGS)


@pytest.mark.parametrize("name", QUICK)
def test_quick_takes_the_small_values_of_the_fields_not_given(name):
    args = argparse.Namespace(**vars(build_parser(name, load_model(name)).parse_args(["--quick", "--lr", "0.5"])))
    config_options.settle_quick(args, CONFIGS[name])
    quick = {f.name: f.metadata["quick"] for f in dataclasses.fields(CONFIGS[name]) if "quick" in f.metadata}
    assert quick and {k: getattr(args, k) for k in quick} == quick and args.lr == 0.5


def shapes(module_or_modules):
    mods = module_or_modules.values() if isinstance(module_or_modules, dict) else [module_or_modules]
    return [tuple(p.shape) for m in mods for p in m.parameters()]


def test_the_bert_benchmark_times_the_model_tgg_train_bert_trains():
    parsed = argparse.Namespace(**defaults("bert"))
    _, vocab = step_bert._batch_and_vocab()
    model, _ = step_bert._model(vocab)
    assert model.config == bert.BERTConfig(vocab, parsed.max_len, parsed.layers, parsed.width, parsed.heads,
                                           parsed.dropout)
    assert (model.config.layers, model.config.width, model.config.heads) == (parsed.layers, parsed.width,
                                                                             parsed.heads)


def test_the_gpt_benchmark_times_the_model_tgg_train_gpt_trains():
    parsed = argparse.Namespace(**defaults("gpt"))
    tg.manual_seed(0)
    ours = gpt.build_model(parsed, step_gpt.VOCAB)
    x, _ = step_gpt._batch()
    assert x.shape == (parsed.batch_size, parsed.context)
    model, _ = step_gpt._torch_gpt()
    assert sorted(tuple(p.shape) for p in model.parameters()) == sorted(shapes(ours))


@pytest.mark.parametrize("name, bench", [("gan2d", step_gan2d), ("dcgan", step_dcgan)])
def test_the_gan_benchmarks_time_the_players_tgg_train_builds(name, bench):
    module = {"gan2d": gan2d, "dcgan": dcgan}[name]
    G, D, _, _ = bench._models(bench._config())
    mine = module.make_models(config_of(defaults(name), CONFIGS[name]))
    assert shapes({"G": G, "D": D}) == shapes(dict(zip("GD", mine)))


def test_the_cyclegan_benchmark_times_the_default_domains_generators():
    nets, _ = step_cyclegan._models(step_cyclegan._config())
    trained = cyclegan.make_models(config_of(defaults("cyclegan"), cyclegan.CycleGANConfig))
    assert [type(m) for m in nets.values()] == [type(m) for m in trained.values()]
    assert type(nets["G"]) is cyclegan.LocalTranslator   # the default invert_blur domain's generator


def test_the_vae_benchmark_times_the_default_vae_on_the_default_batch():
    parsed = defaults("vae")
    assert step_vae._batch().shape == (parsed["batch_size"], 64)
    assert shapes(step_vae._torch_vae()) == shapes(vae.make_model(config_of(parsed, vae.VAEConfig)))


@dataclasses.dataclass
class Example:
    count: int = option(3, help="how many")
    rate: float = option(0.5)
    kind: str = option("a", choices=("a", "b"))
    quick: bool = option(False, help="a switch")
    fixed: tuple = (1, 2)
    epochs: int = 7


def test_config_options_are_generated_with_types_choices_switches_and_the_length_default():
    parser = argparse.ArgumentParser()
    add_config_arguments(parser, Example)
    args = parser.parse_args(["--count", "4", "--rate", "0.25", "--kind", "b", "--quick"])
    assert (args.count, args.rate, args.kind, args.quick, args.epochs) == (4, 0.25, "b", True, 7)
    assert not hasattr(args, "fixed")   # a fixed part of the recipe, not an option
    with pytest.raises(SystemExit):
        parser.parse_args(["--kind", "c"])
    assert config_of(args, Example) == Example(4, 0.25, "b", True, (1, 2), 7)
    assert config_options.LENGTHS == ("epochs", "steps")


def test_tgg_train_gan2d_and_its_benchmark_run_the_same_step_function(monkeypatch):
    calls, real = [], gan2d.step_losses
    monkeypatch.setattr(gan2d, "step_losses", lambda *a, **k: calls.append(a) or real(*a, **k))
    step_gan2d.ours()()
    G, D, opt_g, opt_d = step_gan2d._models(step_gan2d._config())
    x = tg.tensor(np.zeros((4, 2), np.float32))
    gan2d.train_step(G, D, opt_g, opt_d, x, argparse.Namespace(**{**defaults("gan2d"), "steps": 10}))
    assert len(calls) == 2
