package dev.kiln.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The fused losses refuse bad shapes, labels and weights with messages that say what was given and what to give. */
class LossesInputTest {

    @Test
    void binaryCrossEntropyFromLogitsRefusesMismatchedInputs() {
        Tensor z = Tensor.zeros(4, 2);
        assertThatThrownBy(() -> Losses.binaryCrossEntropyWithLogitsMean(z, Tensor.zeros(4, 3), null))
                .hasMessage("binary cross-entropy from logits: logits have shape (4, 2) but targets have (4, 3); they must match");
        assertThatThrownBy(() -> Losses.binaryCrossEntropyWithLogitsMean(Tensor.zeros(2, 2, 2), Tensor.zeros(2, 2, 2), null))
                .hasMessageContaining("logits of shape (2, 2, 2) must be (batch,) or (batch, features)");
        assertThatThrownBy(() -> Losses.binaryCrossEntropyWithLogitsMean(z, Tensor.zeros(4, 2), Tensor.zeros(3)))
                .hasMessage("binary cross-entropy from logits: 3 weights for 4 samples; give one per sample");
        // and a good call: at z = 0 every term is log 2, whatever the targets
        assertThat((double) Losses.binaryCrossEntropyWithLogitsMean(z, Tensor.full(1f, 4, 2), null).item()).isCloseTo(Math.log(2), within(1e-6));
    }

    @Test
    void sparseCrossEntropyRefusesLabelsThatDoNotFit() {
        Tensor logits = Tensor.zeros(3, 4);
        assertThatThrownBy(() -> Losses.sparseSoftmaxCrossEntropyMean(logits, new int[] {0, 1}, null))
                .hasMessageContaining("have 3 rows but 2 labels were given; give one class id per row");
        assertThatThrownBy(() -> Losses.sparseSoftmaxCrossEntropyMean(logits, new int[] {0, 4, 1}, null))
                .hasMessageContaining("label 4 at row 1 is not a class id in [0, 4)");
        assertThatThrownBy(() -> Losses.sparseSoftmaxCrossEntropyMean(logits, new int[] {0, 1, 2}, Tensor.zeros(2)))
                .hasMessageContaining("2 weights for 3 rows; give one per row");
    }
}
