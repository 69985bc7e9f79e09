package dev.kiln.nn.callbacks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.data.Dataset;
import dev.kiln.nn.History;
import dev.kiln.nn.Model;
import dev.kiln.nn.callbacks.Monitor.Mode;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EarlyStoppingTest {

    /** Feeds {@code values} as the monitored key, one per epoch, until the callback asks to stop; returns the state. */
    private static TrainingState drive(EarlyStopping es, Model model, String key, double... values) {
        TrainingState state = new TrainingState(model, model.optimizer(), values.length, 1, 1);
        es.onTrainBegin(state);
        for (int epoch = 0; epoch < values.length && !state.stopRequested(); epoch++) {
            // Distinct weights per epoch, so the restored weights reveal which epoch they came from.
            for (var p : model.parameters().values()) Arrays.fill(p.rawFloats(), epoch + 1);
            Map<String, Double> logs = new LinkedHashMap<>();
            logs.put("loss", 1.0);
            logs.put(key, values[epoch]);
            es.onEpochEnd(epoch, logs, state);
        }
        es.onTrainEnd(state);
        return state;
    }

    private static Model built() {
        Model m = TinyRun.model(0.01);
        m.build(2);
        return m;
    }

    @Test
    void stopsAfterPatienceEpochsWithoutImprovementAndNamesTheBest() {
        EarlyStopping es = new EarlyStopping("val_loss", 0, 3, Mode.AUTO, false, 0);
        TrainingState state = drive(es, built(), "val_loss", 1.0, 0.8, 0.5, 0.6, 0.55, 0.7, 0.1);

        assertThat(es.stoppedEpoch()).isEqualTo(5);
        assertThat(es.bestEpoch()).isEqualTo(2);
        assertThat(es.best()).isEqualTo(0.5);
        assertThat(state.stopReason()).isEqualTo("early stopping: val_loss did not improve for 3 epochs (best 0.5000 at epoch 3)");
    }

    @Test
    void patienceZeroStopsAtTheFirstEpochThatDoesNotImprove() {
        EarlyStopping es = new EarlyStopping("val_loss", 0, 0, Mode.MIN, false, 0);
        drive(es, built(), "val_loss", 1.0, 0.9, 0.9, 0.1);
        assertThat(es.stoppedEpoch()).isEqualTo(2);   // equal is not better
    }

    @Test
    void improvementsSmallerThanMinDeltaDoNotCount() {
        EarlyStopping es = new EarlyStopping("val_loss", 0.1, 2, Mode.MIN, false, 0);
        drive(es, built(), "val_loss", 1.0, 0.95, 0.91, 0.5);
        assertThat(es.stoppedEpoch()).isEqualTo(2);
        assertThat(es.best()).isEqualTo(1.0);
    }

    @Test
    void autoModeMaximisesAccuracyNames() {
        EarlyStopping es = new EarlyStopping("val_accuracy", 1, false);
        drive(es, built(), "val_accuracy", 0.5, 0.7, 0.6, 0.9);
        assertThat(es.stoppedEpoch()).isEqualTo(2);
        assertThat(es.best()).isEqualTo(0.7);

        EarlyStopping min = new EarlyStopping("val_accuracy", 0, 1, Mode.MIN, false, 0);
        drive(min, built(), "val_accuracy", 0.5, 0.7);
        assertThat(min.stoppedEpoch()).isEqualTo(1);
    }

    @Test
    void warmUpEpochsAreIgnored() {
        EarlyStopping es = new EarlyStopping("val_loss", 0, 1, Mode.MIN, false, 3);
        drive(es, built(), "val_loss", 0.1, 0.9, 0.9, 0.5, 0.6, 0.7);
        assertThat(es.bestEpoch()).isEqualTo(3);
        assertThat(es.stoppedEpoch()).isEqualTo(4);
    }

    @Test
    void aBaselineThatIsNeverBeatenStopsAfterPatienceEpochs() {
        EarlyStopping es = new EarlyStopping(EarlyStopping.Config.defaults().withPatience(3).withBaseline(0.2));
        TrainingState state = drive(es, built(), "val_loss", 1.0, 0.9, 0.8, 0.7, 0.6);
        assertThat(es.stoppedEpoch()).isEqualTo(2);
        assertThat(state.stopReason()).contains("never beating the baseline 0.2");
    }

    @Test
    void restoresTheWeightsOfTheBestEpochAtTheEnd() {
        Model model = built();
        EarlyStopping es = new EarlyStopping("val_loss", 0, 2, Mode.AUTO, true, 0);
        drive(es, model, "val_loss", 1.0, 0.4, 0.6, 0.7, 0.1);

        assertThat(es.stoppedEpoch()).isEqualTo(3);
        assertThat(es.restoredBestWeights()).isTrue();
        for (var p : model.parameters().values()) assertThat(p.toFloatArray()).containsOnly(2f);   // epoch index 1 wrote 2
    }

    @Test
    void restoresEvenWhenTrainingRanToTheEnd() {
        Model model = built();
        EarlyStopping es = new EarlyStopping("val_loss", 0, 5, Mode.AUTO, true, 0);
        drive(es, model, "val_loss", 1.0, 0.4, 0.6);
        assertThat(es.stoppedEpoch()).isEqualTo(-1);
        for (var p : model.parameters().values()) assertThat(p.toFloatArray()).containsOnly(2f);
    }

    @Test
    void withoutRestoreTheLastWeightsStay() {
        Model model = built();
        drive(new EarlyStopping("val_loss", 0, 1, Mode.AUTO, false, 0), model, "val_loss", 1.0, 0.4, 0.6);
        for (var p : model.parameters().values()) assertThat(p.toFloatArray()).containsOnly(3f);
    }

    @Test
    void nanNeverImproves() {
        EarlyStopping es = new EarlyStopping("val_loss", 0, 1, Mode.MIN, false, 0);
        drive(es, built(), "val_loss", 1.0, Double.NaN, 0.5);
        assertThat(es.stoppedEpoch()).isEqualTo(1);
    }

    @Test
    void anUnknownMonitorNamesTheAvailableKeys() {
        EarlyStopping es = new EarlyStopping("val_loss", 2, false);
        assertThatThrownBy(() -> drive(es, built(), "loss_typo", 1.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'val_loss'")
                .hasMessageContaining("[loss, loss_typo]")
                .hasMessageContaining("withValidationSplit");
    }

    @Test
    void invalidConfigurationIsRejected() {
        assertThatThrownBy(() -> new EarlyStopping("val_loss", 0, -1, Mode.AUTO, false, 0)).hasMessageContaining("patience must be >= 0");
        assertThatThrownBy(() -> new EarlyStopping("val_loss", -0.1, 1, Mode.AUTO, false, 0)).hasMessageContaining("minDelta must be");
        assertThatThrownBy(() -> new EarlyStopping(" ", 1, false)).hasMessageContaining("monitor name");
        assertThatThrownBy(() -> new EarlyStopping("val_loss", 0, 1, Mode.AUTO, false, -2)).hasMessageContaining("startFromEpoch");
    }

    @Test
    void stopsARealTrainingRunAndRestoresItsBestWeights() {
        Dataset data = TinyRun.separable(64, 1);
        Model model = TinyRun.model(0.05);
        TinyRun.Recorder recorder = new TinyRun.Recorder(data.features());
        // A minDelta no loss can beat: the first epoch is the best and nothing improves after it.
        EarlyStopping es = new EarlyStopping("loss", 1e9, 2, Mode.MIN, true, 0);

        History h = model.fit(data, TinyRun.options(20), recorder, es);

        assertThat(h.size()).isEqualTo(3);
        assertThat(h.stopReason()).startsWith("early stopping: loss did not improve for 2 epochs (best ")
                .endsWith(" at epoch 1)");
        Map<String, float[]> now = TinyRun.weights(model);
        for (var e : now.entrySet()) {
            assertThat(e.getValue()).as(e.getKey()).containsExactly(recorder.weights.get(0).get(e.getKey()));
            assertThat(e.getValue()).as(e.getKey() + " differs from the last epoch").isNotEqualTo(recorder.weights.get(2).get(e.getKey()));
        }
        assertThat(model.predict(data.features()).toFloatArray()).containsExactly(recorder.predictions.get(0));
    }
}
