package dev.kiln.nn.callbacks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.data.Dataset;
import dev.kiln.nn.History;
import dev.kiln.nn.Model;
import dev.kiln.nn.callbacks.Monitor.Mode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReduceLROnPlateauTest {
    private final Dataset data = TinyRun.separable(64, 1);

    /** Feeds {@code values} as "val_loss", one per epoch, and returns the learning rate after each epoch. */
    private static double[] drive(ReduceLROnPlateau cb, Model model, double... values) {
        TrainingState state = new TrainingState(model, model.optimizer(), values.length, 1, 1);
        cb.onTrainBegin(state);
        double[] lr = new double[values.length];
        for (int e = 0; e < values.length; e++) {
            cb.onEpochEnd(e, Map.of("val_loss", values[e]), state);
            lr[e] = model.optimizer().learningRate();
        }
        return lr;
    }

    @Test
    void aRealRunWithoutImprovementHalvesTheRateEveryPatienceEpochs() {
        Model model = TinyRun.model(0.01);
        // A minDelta no loss can beat: only the first epoch counts as an improvement.
        ReduceLROnPlateau cb = new ReduceLROnPlateau("loss", 0.5, 2, 1e9, 0, 0, Mode.MIN);
        PrintStream stdout = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        History h;
        try {
            System.setOut(new PrintStream(captured));
            h = model.fit(data, TinyRun.options(6), cb);
        } finally {
            System.setOut(stdout);
        }

        assertThat(cb.reductions()).extracting(ReduceLROnPlateau.Reduction::epoch).containsExactly(2, 4);
        assertThat(cb.reductions().getFirst().oldLr()).isCloseTo(0.01, within(1e-12));
        assertThat(cb.reductions().getFirst().newLr()).isCloseTo(0.005, within(1e-12));
        assertThat(model.optimizer().learningRate()).isCloseTo(0.0025, within(1e-12));
        // The loop logs the rate each epoch trained with: 0.01 until the first reduction, then 0.005, ...
        assertThat(h.get("lr")).containsExactly(new double[] {0.01, 0.01, 0.01, 0.005, 0.005, 0.0025}, within(1e-12));
        assertThat(captured.toString()).as("ReduceLROnPlateau prints nothing").isEmpty();
    }

    @Test
    void improvementResetsTheWait() {
        Model model = TinyRun.model(0.1);
        ReduceLROnPlateau cb = new ReduceLROnPlateau("val_loss", 0.1, 2, 0, 0, 0, Mode.AUTO);
        double[] lr = drive(cb, model, 1.0, 1.1, 0.9, 1.0, 1.0, 1.0);
        assertThat(lr).containsExactly(new double[] {0.1, 0.1, 0.1, 0.1, 0.01, 0.01}, within(1e-12));
        assertThat(cb.reductions()).extracting(ReduceLROnPlateau.Reduction::epoch).containsExactly(4);
    }

    @Test
    void minDeltaDecidesWhatCountsAsImprovement() {
        Model model = TinyRun.model(0.1);
        ReduceLROnPlateau cb = new ReduceLROnPlateau("val_loss", 0.5, 1, 0.05, 0, 0, Mode.MIN);
        double[] lr = drive(cb, model, 1.0, 0.97, 0.9);
        assertThat(lr).containsExactly(new double[] {0.1, 0.05, 0.05}, within(1e-12));
    }

    @Test
    void cooldownPausesWaiting() {
        Model model = TinyRun.model(0.1);
        ReduceLROnPlateau cb = new ReduceLROnPlateau("val_loss", 0.5, 1, 0, 2, 0, Mode.MIN);
        double[] lr = drive(cb, model, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0);
        // Keras's counting: reduce after epoch 1, epoch 2 is cooldown, waiting resumes at epoch 3 (= 1 + cooldown)
        assertThat(lr).containsExactly(new double[] {0.1, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125}, within(1e-12));
        assertThat(cb.reductions()).extracting(ReduceLROnPlateau.Reduction::epoch).containsExactly(1, 3, 5);

        ReduceLROnPlateau none = new ReduceLROnPlateau("val_loss", 0.5, 1, 0, 0, 0, Mode.MIN);
        drive(none, TinyRun.model(0.1), 1.0, 1.0, 1.0, 1.0);
        assertThat(none.reductions()).extracting(ReduceLROnPlateau.Reduction::epoch).containsExactly(1, 2, 3);
    }

    @Test
    void neverGoesBelowMinLr() {
        Model model = TinyRun.model(0.01);
        ReduceLROnPlateau cb = new ReduceLROnPlateau("val_loss", 0.1, 0, 0, 0, 0.004, Mode.MIN);
        double[] lr = drive(cb, model, 1.0, 1.0, 1.0, 1.0);
        assertThat(lr).containsExactly(new double[] {0.01, 0.004, 0.004, 0.004}, within(1e-12));
        assertThat(cb.reductions()).hasSize(1);
    }

    @Test
    void maxModeWatchesAccuracy() {
        Model model = TinyRun.model(0.1);
        ReduceLROnPlateau cb = new ReduceLROnPlateau(ReduceLROnPlateau.Config.defaults().withMonitor("val_accuracy").withPatience(1).withFactor(0.5));
        TrainingState state = new TrainingState(model, model.optimizer(), 3, 1, 1);
        cb.onTrainBegin(state);
        for (double acc : List.of(0.5, 0.8, 0.7)) cb.onEpochEnd(0, Map.of("val_accuracy", acc), state);
        assertThat(model.optimizer().learningRate()).isCloseTo(0.05, within(1e-12));
    }

    @Test
    void aMissingMonitorAndBadSettingsFailClearly() {
        Model model = TinyRun.model(0.1);
        TrainingState state = new TrainingState(model, model.optimizer(), 1, 1, 1);
        ReduceLROnPlateau cb = new ReduceLROnPlateau(ReduceLROnPlateau.Config.defaults());
        assertThatThrownBy(() -> cb.onEpochEnd(0, Map.of("loss", 1.0), state))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'val_loss'").hasMessageContaining("[loss]");
        assertThatThrownBy(() -> new ReduceLROnPlateau("loss", 1.0, 1, 0, 0, 0, Mode.MIN)).hasMessageContaining("factor must be in (0, 1)");
        assertThatThrownBy(() -> new ReduceLROnPlateau("loss", 0.5, 1, 0, -1, 0, Mode.MIN)).hasMessageContaining("cooldown");
        assertThatThrownBy(() -> new ReduceLROnPlateau("loss", 0.5, 1, 0, 0, -1, Mode.MIN)).hasMessageContaining("minLr");
    }
}
