package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.nn.layers.ActivationLayer;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Dropout;
import dev.kiln.nn.optimizers.Optimizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The shipped training configs stay valid, and the reference config documents every key the reader accepts. */
class ExamplesTest {
    /** Surefire runs in the module folder; the examples sit beside it. */
    static final Path EXAMPLES = Path.of("..", "examples");

    static Stream<Path> configs() throws IOException {
        return Files.list(EXAMPLES).filter(p -> p.toString().endsWith(".yaml")).sorted();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void everyExampleParsesAndBuildsItsOptimizerAndCallbacks(Path file) throws IOException {
        TrainConfig config = ConfigReader.read(file);
        Optimizer optimizer = config.compile().optimizer().create(1000);
        assertThat(optimizer.learningRate()).isPositive();
        config.compile().lossFunction();
        for (TrainConfig.CallbackSpec c : config.callbacks()) assertThat(c.create(Path.of("out"))).isNotNull();
        assertThat(config.output()).as("examples name their run folder").startsWith("runs/");
    }

    @Test
    void theReferenceConfigMatchesTheBrief() throws IOException {
        TrainConfig c = ConfigReader.read(EXAMPLES.resolve("fashion-mnist-mlp.yaml"));
        assertThat(c.data().name()).isEqualTo("fashion-mnist");
        assertThat(c.model().inputShape()).containsExactly(28, 28);
        assertThat(c.model().layers()).hasSize(3);
        assertThat(c.model().layers().get(1)).isInstanceOfSatisfying(Dense.Config.class, d -> {
            assertThat(d.units()).isEqualTo(128);
            assertThat(d.useBias()).as("use_bias defaults to true as in Keras").isTrue();
        });
        assertThat(c.fit().epochs()).isEqualTo(5);
        assertThat(c.output()).isEqualTo("runs/fashion-mnist-mlp");
    }

    @Test
    void theReferenceConfigDocumentsEveryKey() throws IOException {
        String doc = Files.readAllLines(EXAMPLES.resolve("fashion-mnist-mlp.yaml")).stream()
                .takeWhile(l -> l.startsWith("#") || l.isBlank()).reduce("", (a, b) -> a + b + "\n");
        List<Class<?>> records = List.of(TrainConfig.class, TrainConfig.DataSpec.class, TrainConfig.TextSpec.class, TrainConfig.AugmentSpec.class,
                TrainConfig.ModelSpec.class,
                TrainConfig.CompileSpec.class, TrainConfig.OptimizerSpec.class, TrainConfig.ScheduleSpec.class, TrainConfig.FitSpec.class,
                TrainConfig.EarlyStoppingSpec.class, TrainConfig.CsvLoggerSpec.class, TrainConfig.ModelCheckpointSpec.class,
                TrainConfig.ReduceLrOnPlateauSpec.class, Dense.Config.class, Dropout.Config.class, ActivationLayer.Config.class);
        for (Class<?> type : records) {
            for (String key : ConfigReader.keysOf(type)) {
                assertThat(doc).as("key '%s' of %s is documented", key, type.getSimpleName()).containsPattern("\\b" + key + "\\b");
            }
        }
        for (String type : ConfigReader.typeNames(dev.kiln.nn.layers.LayerConfig.class).split(", ")) assertThat(doc).contains("type: " + type);
        for (String type : ConfigReader.typeNames(TrainConfig.CallbackSpec.class).split(", ")) assertThat(doc).contains("type: " + type);
    }
}
