package dev.kiln.nn.callbacks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.data.Dataset;
import dev.kiln.nn.History;
import dev.kiln.nn.Model;
import dev.kiln.nn.callbacks.Monitor.Mode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCheckpointTest {
    @TempDir Path dir;

    private static Map<String, Double> logs(double loss, double valLoss) {
        Map<String, Double> logs = new LinkedHashMap<>();
        logs.put("loss", loss);
        logs.put("val_loss", valLoss);
        return logs;
    }

    private List<String> filesIn(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void saveBestOnlyWritesOnlyOnImprovement() throws IOException {
        Model model = TinyRun.model(0.01);
        model.build(2);
        TrainingState state = new TrainingState(model, model.optimizer(), 4, 1, 1);
        ModelCheckpoint cp = new ModelCheckpoint(dir.resolve("m-{epoch}.kiln"), "val_loss", true, Mode.AUTO);
        cp.onTrainBegin(state);
        double[] values = {0.5, 0.6, 0.4, 0.4, 0.45};
        for (int e = 0; e < values.length; e++) cp.onEpochEnd(e, logs(1.0, values[e]), state);

        assertThat(filesIn(dir)).containsExactly("m-001.kiln", "m-001.kiln.state.json", "m-003.kiln", "m-003.kiln.state.json");
        assertThat(cp.savedFiles()).containsExactly(dir.resolve("m-001.kiln"), dir.resolve("m-003.kiln"));
        ModelCheckpoint.State s = ModelCheckpoint.readState(dir.resolve("m-003.kiln"));
        assertThat(s.epoch()).isEqualTo(3);
        assertThat(s.monitor()).isEqualTo("val_loss");
        assertThat(s.monitorValue()).isEqualTo(0.4);
        assertThat(s.best()).isEqualTo(0.4);
        assertThat(s.optimizer()).isEqualTo("adam");
        assertThat(s.modelFile()).isEqualTo("m-003.kiln");
        assertThat(s.logs()).containsEntry("loss", 1.0);
    }

    @Test
    void maxModeAndMetricPlaceholders() throws IOException {
        Model model = TinyRun.model(0.01);
        model.build(2);
        TrainingState state = new TrainingState(model, model.optimizer(), 3, 1, 1);
        ModelCheckpoint cp = new ModelCheckpoint(dir.resolve("acc-{val_accuracy}.kiln").toString(), "val_accuracy", true, Mode.AUTO);
        cp.onTrainBegin(state);
        double[] acc = {0.5, 0.75, 0.625};
        for (int e = 0; e < acc.length; e++) cp.onEpochEnd(e, Map.of("val_accuracy", acc[e]), state);
        assertThat(filesIn(dir)).containsExactly("acc-0.5000.kiln", "acc-0.5000.kiln.state.json", "acc-0.7500.kiln", "acc-0.7500.kiln.state.json");
    }

    @Test
    void theBestCheckpointOfARealRunLoadsAndPredictsIdentically() throws IOException {
        Dataset data = TinyRun.separable(64, 1);
        Dataset val = TinyRun.separable(32, 2);
        Model model = TinyRun.model(0.05);
        TinyRun.Recorder recorder = new TinyRun.Recorder(val.features());
        Path best = dir.resolve("best.kiln");
        ModelCheckpoint cp = new ModelCheckpoint(best, "val_loss", true, Mode.AUTO);

        History h = model.fit(data, TinyRun.options(6).withValidationData(val), recorder, cp);

        double[] valLoss = h.get("val_loss");
        int bestEpoch = 0;
        for (int e = 1; e < valLoss.length; e++) if (valLoss[e] < valLoss[bestEpoch]) bestEpoch = e;
        Model loaded = Model.load(best);
        assertThat(loaded.predict(val.features()).toFloatArray()).containsExactly(recorder.predictions.get(bestEpoch));
        ModelCheckpoint.State s = ModelCheckpoint.readState(best);
        assertThat(s.epoch()).isEqualTo(bestEpoch + 1);
        assertThat(s.monitorValue()).isEqualTo(valLoss[bestEpoch]);
        assertThat(s.optimizerIterations()).isEqualTo((bestEpoch + 1) * 4L);   // 64 samples / batch 16
    }

    @Test
    void withoutSaveBestOnlyEveryEpochIsSaved() throws IOException {
        Dataset data = TinyRun.separable(64, 1);
        Model model = TinyRun.model(0.05);
        ModelCheckpoint cp = new ModelCheckpoint(dir.resolve("ckpt/e{epoch}.kiln"), "val_loss", false, Mode.AUTO);

        model.fit(data, TinyRun.options(3), cp);   // no validation: the monitor is not needed to decide

        assertThat(filesIn(dir.resolve("ckpt"))).containsExactly(
                "e001.kiln", "e001.kiln.state.json", "e002.kiln", "e002.kiln.state.json", "e003.kiln", "e003.kiln.state.json");
        ModelCheckpoint.State last = ModelCheckpoint.readState(dir.resolve("ckpt/e003.kiln"));
        assertThat(last.epoch()).isEqualTo(3);
        assertThat(last.monitorValue()).isNull();
        assertThat(last.optimizerIterations()).isEqualTo(12);
        assertThat(last.learningRate()).isEqualTo(0.05);
        assertThat(Model.load(dir.resolve("ckpt/e003.kiln")).predict(data.features()).toFloatArray())
                .containsExactly(model.predict(data.features()).toFloatArray());
    }

    @Test
    void saveBestOnlyWithAMissingMonitorFailsNamingTheKeys() {
        Dataset data = TinyRun.separable(64, 1);
        Model model = TinyRun.model(0.05);
        ModelCheckpoint cp = new ModelCheckpoint(dir.resolve("m.kiln"), "val_loss", true, Mode.AUTO);
        assertThatThrownBy(() -> model.fit(data, TinyRun.options(2), cp))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ModelCheckpoint monitors 'val_loss'")
                .hasMessageContaining("[loss, accuracy, lr]");
    }

    @Test
    void anUnknownPlaceholderFailsNamingTheKeys() {
        Model model = TinyRun.model(0.01);
        model.build(2);
        TrainingState state = new TrainingState(model, model.optimizer(), 1, 1, 1);
        ModelCheckpoint cp = new ModelCheckpoint(dir.resolve("m-{val_acc}.kiln"), "loss", false, Mode.AUTO);
        assertThatThrownBy(() -> cp.onEpochEnd(0, logs(1, 1), state))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("{val_acc}")
                .hasMessageContaining("[loss, val_loss]");
    }

    @Test
    void readingStateOfAFileWithoutSidecarOrWithADamagedOneFailsClearly() throws IOException {
        Path plain = dir.resolve("plain.kiln");
        assertThatThrownBy(() -> ModelCheckpoint.readState(plain)).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("only files saved by ModelCheckpoint");
        Files.writeString(ModelCheckpoint.stateFile(plain), "{\"epoch\": ");
        assertThatThrownBy(() -> ModelCheckpoint.readState(plain)).isInstanceOf(IOException.class)
                .hasMessageContaining("not a valid checkpoint state file");
        Files.writeString(ModelCheckpoint.stateFile(plain), "{\"formatVersion\": 99, \"format\": \"kiln-checkpoint-state\", \"epoch\": 1}");
        assertThatThrownBy(() -> ModelCheckpoint.readState(plain)).isInstanceOf(IOException.class)
                .hasMessageContaining("version 99").hasMessageContaining("upgrade Kiln");
    }
}
