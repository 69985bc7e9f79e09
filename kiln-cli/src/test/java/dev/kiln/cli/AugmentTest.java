package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.data.image.ImageAugmentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code augment} section: read with ImageAugmentation's names, checked while reading, applied to training batches only. */
class AugmentTest {
    static final String MLP = """
            data: {name: fashion-mnist-subset, limit: 256}
            %s
            model:
              input_shape: [28, 28]
              layers:
                - {type: Flatten}
                - {type: Dense, units: 16, activation: relu}
                - {type: Dense, units: 10}
            compile:
              loss: sparse_categorical_crossentropy_from_logits
              metrics: [accuracy]
            fit: {epochs: 1, batch_size: 32, seed: 7}
            """;

    @TempDir
    Path dir;

    private static TrainConfig parse(String augment) {
        return ConfigReader.parse(MLP.formatted(augment), "a.yaml");
    }

    @Test
    void readsImageAugmentationsKeysWithEverythingOffByDefault() {
        TrainConfig c = parse("augment: {horizontal_flip: true, crop_padding: 2, max_rotation_degrees: 10, max_translation: 0.1,"
                + " max_brightness: 0.1, max_contrast: 0.2}");
        assertThat(c.augment().create()).isEqualTo(new ImageAugmentation(true, 2, 10, 0.1, 0.1, 0.2));
        assertThat(c.augment().describe()).isEqualTo("horizontal flips, crop padding 2, rotation ±10°, translation ±0.1, brightness ±0.1, contrast ±0.2");
        assertThat(parse("augment: {crop_padding: 4}").augment().create()).isEqualTo(ImageAugmentation.none().withCropPadding(4));
        assertThat(parse("").augment()).as("no section, no augmentation").isNull();
    }

    @Test
    void unknownKeysAndBadValuesNameTheKeyAndLine() {
        assertThatThrownBy(() -> parse("augment: {flip: horizontal}"))
                .hasMessageContaining("a.yaml:2: augment: unknown key 'flip'; valid keys here: horizontal_flip, crop_padding, max_rotation_degrees,"
                        + " max_translation, max_brightness, max_contrast");
        assertThatThrownBy(() -> parse("augment: {horizontal_flip: true, seed: 1}")).hasMessageContaining("unknown key 'seed'");
        assertThatThrownBy(() -> parse("augment: {max_contrast: 1.5}"))
                .hasMessageContaining("a.yaml:2: augment: max_contrast must be in [0, 1) so the factor stays positive, got 1.5");
        assertThatThrownBy(() -> parse("augment: {crop_padding: two}")).hasMessageContaining("augment.crop_padding: expected a whole number but got 'two'");
    }

    @Test
    void augmentedTrainingRunsAndDiffersFromPlainTraining() throws Exception {
        Cli.Result plain = train("plain", "");
        Cli.Result augmented = train("augmented", "augment: {horizontal_flip: true, crop_padding: 2, max_rotation_degrees: 10, max_brightness: 0.1}");
        assertThat(plain.code()).as(plain.toString()).isZero();
        assertThat(augmented.code()).as(augmented.toString()).isZero();
        assertThat(augmented.out()).contains("256 samples augmented (horizontal flips, crop padding 2, rotation ±10°, brightness ±0.1), validating on")
                .containsPattern("Test accuracy: 0\\.\\d{4}");
        List<String> a = Files.readAllLines(dir.resolve("augmented").resolve("history.csv"));
        List<String> p = Files.readAllLines(dir.resolve("plain").resolve("history.csv"));
        assertThat(a.get(0)).isEqualTo(p.get(0));
        assertThat(a.get(1)).as("the same seed, but the training batches were changed").isNotEqualTo(p.get(1));
        Cli.Result again = train("again", "augment: {horizontal_flip: true, crop_padding: 2, max_rotation_degrees: 10, max_brightness: 0.1}");
        assertThat(Files.readAllLines(dir.resolve("again").resolve("history.csv"))).as("the fit seed fixes the draws").isEqualTo(a);
    }

    @Test
    void augmentNeedsImages() throws Exception {
        Cli.Result flat = train("flat", "augment: {horizontal_flip: true}", "input_shape: [784]");
        assertThat(flat.code()).isEqualTo(1);
        assertThat(flat.err()).contains("augment changes images of shape (height, width)").contains("(784,)");
        assertThatThrownBy(() -> ConfigReader.parse("""
                data: {name: spam-assassin}
                augment: {horizontal_flip: true}
                model: {layers: [{type: Dense, units: 1}]}
                compile: {loss: binary_crossentropy}
                """, "t.yaml")).hasMessageContaining("'augment' changes images; spam-assassin is text data");
    }

    private Cli.Result train(String name, String augment, String... inputShape) throws Exception {
        String yaml = MLP.formatted(augment);
        if (inputShape.length > 0) yaml = yaml.replace("input_shape: [28, 28]", inputShape[0]);
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, yaml);
        return Cli.run("train", config.toString(), "--output", dir.resolve(name).toString());
    }
}
