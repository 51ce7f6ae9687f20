"""The step benchmarks' PyTorch peers are twins of our models: same layers, same initial weights, same batch, same
optimizer, so the same losses step after step (what makes their timings comparable)."""
import numpy as np
import pytest
import torch

from tinygrad_gen.benchmarks import step_bert, step_cyclegan, step_dcgan, step_gan2d, twins


@pytest.mark.parametrize("module", [step_dcgan, step_cyclegan, step_gan2d], ids=lambda m: m.__name__)
def test_gan_step_peer_gives_our_losses_for_three_steps(module):
    ours, theirs = module.ours(), module.torch_peer()
    for _ in range(2):
        assert np.isclose(ours(), theirs(), rtol=1e-4)


def test_bert_twin_computes_our_pretraining_loss_from_the_same_weights():
    batch, vocab = step_bert._batch_and_vocab()
    model, _ = step_bert._model(vocab)
    twin = twins.copy_params(torch, model, step_bert._torch_bert(torch, model.config))
    model.eval()
    twin.eval()
    mlm, nsp, _, _ = model.pretraining_loss(batch)
    assert np.isclose((mlm + nsp).item(), twin(batch).item(), rtol=1e-5)


def test_copy_params_refuses_a_twin_of_another_shape():
    from tinygrad_gen import nn
    with pytest.raises(ValueError, match="shape"):
        twins.copy_params(torch, nn.Linear(3, 4), torch.nn.Linear(4, 3))
