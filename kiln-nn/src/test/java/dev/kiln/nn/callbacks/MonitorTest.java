package dev.kiln.nn.callbacks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.nn.callbacks.Monitor.Mode;
import org.junit.jupiter.api.Test;

class MonitorTest {
    @Test
    void autoMaximisesNamesContainingAccAndMinimisesTheRest() {
        assertThat(new Monitor("val_accuracy", Mode.AUTO, 0).higherIsBetter()).isTrue();
        assertThat(new Monitor("acc", Mode.AUTO, 0).higherIsBetter()).isTrue();
        assertThat(new Monitor("val_loss", Mode.AUTO, 0).higherIsBetter()).isFalse();
        assertThat(new Monitor("val_loss", Mode.AUTO, 0).withName("accuracy").higherIsBetter()).as("re-resolved for the new name").isTrue();
        assertThat(new Monitor("accuracy", Mode.MIN, 0).higherIsBetter()).isFalse();
    }

    @Test
    void improvementMustExceedMinDelta() {
        Monitor min = new Monitor("loss", Mode.MIN, 0.1);
        assertThat(min.improves(0.85, 1.0)).isTrue();
        assertThat(min.improves(0.95, 1.0)).isFalse();
        assertThat(min.improves(1.0, min.worst())).isTrue();
        assertThat(min.improves(Double.NaN, 1.0)).isFalse();
        Monitor max = new Monitor("accuracy", Mode.MAX, 0.1);
        assertThat(max.improves(0.75, 0.6)).isTrue();
        assertThat(max.improves(0.65, 0.6)).isFalse();
        assertThat(max.improves(0.0, max.worst())).isTrue();
    }

    @Test
    void badArgumentsAreRejected() {
        assertThatThrownBy(() -> new Monitor(null, Mode.MIN, 0)).hasMessageContaining("monitor name");
        assertThatThrownBy(() -> new Monitor("loss", null, 0)).hasMessageContaining("MIN, MAX or AUTO");
        assertThatThrownBy(() -> new Monitor("loss", Mode.MIN, Double.NaN)).hasMessageContaining("minDelta");
        assertThatThrownBy(() -> new Monitor("loss", Mode.MIN, Double.POSITIVE_INFINITY)).hasMessageContaining("minDelta");
    }
}
