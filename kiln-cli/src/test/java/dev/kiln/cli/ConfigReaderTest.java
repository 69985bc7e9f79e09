package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Dropout;
import dev.kiln.nn.optimizers.Optimizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** YAML to {@link TrainConfig}: shorthands, Keras defaults, and one precise message per mistake. */
class ConfigReaderTest {
    static final String HEAD = """
            data: {name: fashion-mnist-subset}
            model:
              layers:
                - {type: Flatten}
                - {type: Dense, units: 10}
            """;

    static TrainConfig parse(String yaml) {
        return ConfigReader.parse(yaml, "test.yaml");
    }

    @Test
    void shorthandsAndDefaults() {
        TrainConfig c = parse(HEAD + "compile: {optimizer: sgd, loss: sparse_categorical_crossentropy, metrics: accuracy}\n");
        assertThat(c.compile().optimizer().name()).isEqualTo("sgd");
        assertThat(c.compile().optimizer().create(10).learningRate()).isEqualTo(0.01);
        assertThat(c.compile().metrics()).containsExactly("accuracy");
        assertThat(c.fit()).isEqualTo(new TrainConfig.FitSpec(1, 32, 0.0, true, 42L));
        assertThat(c.callbacks()).isEmpty();
        assertThat(c.output()).isNull();
        assertThat(c.model().inputShape()).as("taken from the data").isNull();
        assertThat(c.model().layers().get(1)).isEqualTo(new Dense.Config(null, 10, Activation.LINEAR, true, null, null, 0));
    }

    @Test
    void layerKeysAreSnakeCaseAndExplicitValuesWin() {
        TrainConfig c = parse("""
                data: {name: fashion-mnist-subset}
                model:
                  layers:
                    - {type: Dense, name: hidden, units: 8, activation: tanh, use_bias: false, kernel_initializer: he_normal, l2: 0.001}
                    - {type: Dropout, rate: 0.5}
                compile: {loss: mse}
                """);
        assertThat(c.model().layers().get(0)).isInstanceOfSatisfying(Dense.Config.class, d -> {
            assertThat(d.name()).isEqualTo("hidden");
            assertThat(d.useBias()).isFalse();
            assertThat(d.activation()).isEqualTo(Activation.TANH);
            assertThat(d.l2()).isEqualTo(0.001);
        });
        assertThat(c.model().layers().get(1)).isEqualTo(new Dropout.Config(null, 0.5));
    }

    @Test
    void cosineScheduleRunsTheWholeTrainingByDefault() {
        TrainConfig c = parse(HEAD + """
                compile:
                  optimizer: {name: adamw, learning_rate: 0.01, weight_decay: 0.1, schedule: {name: cosine_decay, warmup_steps: 10}}
                  loss: sparse_categorical_crossentropy_from_logits
                """);
        Optimizer o = c.compile().optimizer().create(110);
        assertThat(o.name()).isEqualTo("adamw");
        assertThat(o.learningRate()).as("first warm-up step").isCloseTo(0.001, org.assertj.core.data.Offset.offset(1e-12));
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', textBlock = """
            compile: {loss: sparse_categorical_crossentropy, optimizer: {name: sgd, beta_1: 0.9}}  | :6: compile.optimizer: optimizer sgd does not take beta_1; its keys are learning_rate, global_clipnorm, schedule, momentum, nesterov
            compile: {loss: sparse_categorical_crossentropy, optimizer: {name: adam, schedule: {name: step_decay}}} | :6: compile.optimizer.schedule: schedule step_decay needs 'step_size' and 'gamma'
            compile: {loss: hinge}                                                               | :6: compile: unknown loss 'hinge'
            compile: {loss: mse, metrics: [auc]}                                                 | unknown metric 'auc'
            fit: {epochs: 0}                                                                     | :6: fit: epochs must be >= 1, got 0
            fit: {batch_size: [1]}                                                               | :6: fit.batch_size:
            callbacks: [{type: early_stopping, patience: 2, mode: sideways}]                     | :6: callbacks[0]: mode must be auto, min or max, got 'sideways'
            callbacks: [{type: csv_logger, file: x.csv}]                                         | :6: callbacks[0]: unknown key 'file'; valid keys here: path, append
            callbacks: [{patience: 2}]                                                           | :6: callbacks[0]: missing 'type' (the callback type); valid types: early_stopping, csv_logger, model_checkpoint, reduce_lr_on_plateau
            """)
    void mistakesNameTheLineThePathAndTheFix(String tail, String expected) {
        String yaml = HEAD + (tail.startsWith("compile") ? "" : "compile: {loss: sparse_categorical_crossentropy}\n") + tail + "\n";
        if (tail.startsWith("compile: {loss: mse, metrics")) {
            // metrics are checked when compiling, after the data is loaded: only the reader's part is tested here
            assertThat(parse(yaml).compile().metrics()).containsExactly("auc");
            return;
        }
        if (!tail.startsWith("compile")) expected = expected.replace(":6:", ":7:");
        String e = expected;
        assertThatThrownBy(() -> parse(yaml)).isInstanceOf(CliException.class).hasMessageStartingWith("test.yaml").hasMessageContaining(e);
    }

    @Test
    void yamlSyntaxErrorsPointAtTheLine() {
        assertThatThrownBy(() -> parse("data: {name: fashion-mnist\nmodel: {}\n"))
                .hasMessageStartingWith("test.yaml:2: YAML syntax: ").hasMessageContaining("flow mapping that starts on line 1");
        assertThatThrownBy(() -> parse("data: {name: mnist}\ndata: {name: mnist}\n")).hasMessage("test.yaml:2: duplicate key 'data'; each key may appear once");
        assertThatThrownBy(() -> parse("# only a comment\n")).hasMessageContaining("the config is empty");
        assertThatThrownBy(() -> parse("compile: {loss: mse}\nmodel: {layers: [{type: Flatten}]}\n")).hasMessageContaining("the config needs a 'data' section");
    }

    @Test
    void keyLinesFollowNestedListsAndMappings() throws Exception {
        var lines = ConfigReader.keyLines(HEAD + "callbacks:\n  - type: csv_logger\n    path: a.csv\n");
        assertThat(lines).containsEntry("data", 1).containsEntry("data.name", 1).containsEntry("model.layers", 3)
                .containsEntry("model.layers[1]", 5).containsEntry("model.layers[1].units", 5)
                .containsEntry("callbacks[0]", 7).containsEntry("callbacks[0].path", 8);
    }
}
