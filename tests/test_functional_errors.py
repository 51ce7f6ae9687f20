"""Bad input to F gets a clear error naming the function and the shapes, before any state changes."""
import numpy as np
import pytest

import tinygrad_gen as tg
import tinygrad_gen.nn.functional as F


def test_conv2d_channel_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"conv2d.*\(2, 3, 5, 5\).*\(4, 2, 3, 3\)"):
        F.conv2d(tg.randn(2, 3, 5, 5), tg.randn(4, 2, 3, 3))


def test_conv2d_kernel_larger_than_input_is_an_error():
    with pytest.raises(ValueError, match="conv2d: kernel size 5"):
        F.conv2d(tg.randn(1, 1, 3, 3), tg.randn(1, 1, 5, 5))


def test_conv2d_bias_of_wrong_size_is_an_error():
    with pytest.raises(ValueError, match=r"conv2d: bias of shape \(3,\)"):
        F.conv2d(tg.randn(1, 2, 4, 4), tg.randn(4, 2, 3, 3), tg.randn(3))


def test_conv2d_needs_a_4d_input():
    with pytest.raises(ValueError, match=r"conv2d: expected x \(N, C, H, W\)"):
        F.conv2d(tg.randn(2, 5, 5), tg.randn(4, 2, 3, 3))


def test_conv2d_zero_stride_is_an_error():
    with pytest.raises(ValueError, match="conv2d: stride"):
        F.conv2d(tg.randn(1, 2, 4, 4), tg.randn(4, 2, 3, 3), stride=0)


def test_conv_transpose2d_channel_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"conv_transpose2d.*\(1, 3, 4, 4\).*\(2, 5, 3, 3\)"):
        F.conv_transpose2d(tg.randn(1, 3, 4, 4), tg.randn(2, 5, 3, 3))


def test_conv_transpose2d_output_padding_must_be_below_stride():
    with pytest.raises(ValueError, match="conv_transpose2d: output_padding"):
        F.conv_transpose2d(tg.randn(1, 2, 4, 4), tg.randn(2, 3, 3, 3), stride=2, output_padding=2)


def test_linear_feature_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"linear.*\(8, 5\).*\(3, 4\)"):
        F.linear(tg.randn(8, 5), tg.randn(3, 4))


def test_max_pool2d_kernel_larger_than_input_is_an_error():
    with pytest.raises(ValueError, match="max_pool2d: kernel size 4"):
        F.max_pool2d(tg.randn(1, 1, 3, 3), 4)


def test_layer_norm_shape_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"layer_norm.*\(5,\).*\(2, 4\)"):
        F.layer_norm(tg.randn(2, 4), 5)


def test_batch_norm_running_stats_of_wrong_size_raise_before_anything_changes():
    rm, rv = tg.zeros(3), tg.ones(2)
    with pytest.raises(ValueError, match=r"batch_norm: running_var of shape \(2,\).*3 channels"):
        F.batch_norm(tg.randn(4, 3), rm, rv)
    assert rm.tolist() == [0, 0, 0]


def test_batch_norm_training_on_one_value_per_channel_is_an_error():
    with pytest.raises(ValueError, match="batch_norm: training needs more than 1 value per channel"):
        F.batch_norm(tg.randn(1, 3), tg.zeros(3), tg.ones(3))


def test_batch_norm_eval_without_running_stats_is_an_error():
    with pytest.raises(ValueError, match="batch_norm: evaluation mode"):
        F.batch_norm(tg.randn(4, 3), None, None, training=False)


def test_cross_entropy_bad_target_shape_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"cross_entropy: target of shape \(4, 1\).*\(4, 10\)"):
        F.cross_entropy(tg.randn(4, 10), np.zeros((4, 1), np.int64))


def test_cross_entropy_target_out_of_range_is_an_error():
    with pytest.raises(ValueError, match="cross_entropy: target value 10 is out of range for 10 classes"):
        F.cross_entropy(tg.randn(2, 10), np.array([1, 10]))


def test_cross_entropy_float_target_of_other_shape_is_an_error():
    with pytest.raises(ValueError, match="cross_entropy: probability target"):
        F.cross_entropy(tg.randn(2, 10), np.zeros(2))


def test_loss_with_unknown_reduction_is_an_error():
    with pytest.raises(ValueError, match="mse_loss: reduction must be"):
        F.mse_loss(tg.randn(3), tg.randn(3), reduction="avg")


def test_bce_with_logits_shape_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits.*\(3, 1\).*\(3,\)"):
        F.binary_cross_entropy_with_logits(tg.randn(3), tg.rand(3, 1))


def test_mse_loss_shape_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"mse_loss.*\(3,\).*\(3, 1\)"):
        F.mse_loss(tg.randn(3), tg.randn(3, 1))


def test_embedding_index_out_of_range_names_op_and_shapes():
    with pytest.raises(IndexError, match=r"embedding.*\(5, 2\)"):
        F.embedding(np.array([0, 5]), tg.randn(5, 2))


def test_embedding_float_indices_are_an_error():
    with pytest.raises(TypeError, match="embedding: indices must be integers"):
        F.embedding(np.array([0.0, 1.0]), tg.randn(5, 2))


def test_masked_softmax_non_boolean_mask_is_an_error():
    with pytest.raises(TypeError, match="masked_softmax: mask must be boolean"):
        F.masked_softmax(tg.randn(2, 3), np.ones((2, 3)))


def test_masked_softmax_mask_that_does_not_broadcast_is_an_error():
    with pytest.raises(ValueError, match="masked_softmax"):
        F.masked_softmax(tg.randn(2, 3), np.ones((2, 4), bool))


def test_attention_shape_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention.*\(2, 3, 4\).*\(2, 5, 3\)"):
        F.scaled_dot_product_attention(tg.randn(2, 3, 4), tg.randn(2, 5, 3), tg.randn(2, 5, 3))


def test_attention_mask_that_does_not_broadcast_is_an_error():
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: mask of shape \(2, 2\)"):
        F.scaled_dot_product_attention(tg.randn(3, 4), tg.randn(5, 4), tg.randn(5, 4), mask=np.ones((2, 2), bool))


def test_dropout_probability_outside_unit_interval_is_an_error():
    with pytest.raises(ValueError, match="dropout: p must be in"):
        F.dropout(tg.randn(3), p=1.5)


def test_gaussian_kl_shape_mismatch_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"gaussian_kl.*\(2, 3\).*\(2, 4\)"):
        F.gaussian_kl(tg.randn(2, 3), tg.randn(2, 4))


def test_reparameterize_eps_that_does_not_broadcast_is_an_error():
    with pytest.raises(ValueError, match="reparameterize"):
        F.reparameterize(tg.randn(2, 3), tg.randn(2, 3), eps=tg.randn(4))


def test_reparameterize_mu_and_logvar_that_do_not_broadcast_is_an_error():
    with pytest.raises(ValueError, match=r"reparameterize: mu \(2, 3\), logvar \(4,\)"):
        F.reparameterize(tg.randn(2, 3), tg.randn(4))


def test_cross_entropy_with_unknown_reduction_is_an_error():
    with pytest.raises(ValueError, match="cross_entropy: reduction must be"):
        F.cross_entropy(tg.randn(2, 3), np.array([0, 1]), reduction="avg")
