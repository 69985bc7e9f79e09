package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.data.text.CharTokenizer;
import dev.kiln.data.text.WordTokenizer;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Embedding;
import dev.kiln.nn.layers.Lstm;
import dev.kiln.nn.text.Gpt;
import dev.kiln.nn.text.GptConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kiln predict} on raw text and {@code kiln generate}, with small untrained models that carry their tokenizer. */
class TextCommandsTest {
    @TempDir
    Path dir;

    private Path textClassifier(boolean withTokenizer) throws Exception {
        WordTokenizer tok = WordTokenizer.fit(List.of("win a free prize now", "meeting notes for monday", "free money click here"),
                WordTokenizer.Config.of(50));
        Sequential model = new Sequential(new Embedding(50, 4, true), new Lstm(3), new Dense(1, Activation.SIGMOID));
        model.seed(1).build(8);
        if (withTokenizer) model.preprocessing(tok.toJson());
        Path file = dir.resolve(withTokenizer ? "text.kiln" : "plain.kiln");
        model.save(file);
        return file;
    }

    private Path charGpt() throws Exception {
        CharTokenizer tok = CharTokenizer.fit("hello world, the quick brown fox\n");
        Sequential model = Gpt.build(new GptConfig(tok.vocabularySize(), 16, 8, 2, 1, 0), 3);
        model.preprocessing(tok.toJson());
        Path file = dir.resolve("gpt.kiln");
        model.save(file);
        return file;
    }

    @Test
    void predictTakesARawMessageForATextModel() throws Exception {
        Path model = textClassifier(true);
        Cli.Result r = Cli.run("predict", model.toString(), "WIN a FREE prize, click now");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("\"WIN a FREE prize, click now\"").contains("1. ").contains("2. ");
        Cli.Result longer = Cli.run("predict", model.toString(), "free ".repeat(20));
        assertThat(longer.out()).contains("only the last 8 are used");
    }

    @Test
    void predictRefusesEmptyMessagesAndTextForModelsWithoutATokenizer() throws Exception {
        Cli.Result empty = Cli.run("predict", textClassifier(true).toString(), "   ");
        assertThat(empty.code()).isEqualTo(1);
        assertThat(empty.err()).contains("message is empty");
        Cli.Result plain = Cli.run("predict", textClassifier(false).toString(), "hello there");
        assertThat(plain.code()).isEqualTo(2);
        assertThat(plain.err()).contains("input not found: hello there");
    }

    @Test
    void generateContinuesThePromptReproduciblyWithAndWithoutTheCache() throws Exception {
        Path model = charGpt();
        Cli.Result a = Cli.run("generate", model.toString(), "--prompt", "hello", "--tokens", "10", "--seed", "7", "--top-k", "5");
        assertThat(a.code()).as(a.toString()).isZero();
        assertThat(a.out()).startsWith("hello");
        assertThat(a.out().strip().length()).isGreaterThan(5);
        assertThat(a.err()).contains("10 tokens in").contains("key/value cache");
        Cli.Result b = Cli.run("generate", model.toString(), "--prompt", "hello", "--tokens", "10", "--seed", "7", "--top-k", "5", "--no-cache");
        assertThat(b.out()).isEqualTo(a.out());
        Cli.Result greedy = Cli.run("generate", model.toString(), "--prompt", "fox", "--tokens", "40", "--temperature", "0");
        assertThat(greedy.code()).as(greedy.toString()).isZero();   // 43 tokens: past the 16-token context
    }

    @Test
    void generateExplainsBadArgumentsAndModelsWithoutATokenizer() throws Exception {
        Path model = charGpt();
        Cli.Result empty = Cli.run("generate", model.toString(), "--prompt", "");
        assertThat(empty.code()).isEqualTo(1);
        assertThat(empty.err()).contains("prompt is empty");
        Cli.Result badP = Cli.run("generate", model.toString(), "--top-p", "0");
        assertThat(badP.code()).isEqualTo(2);
        assertThat(badP.err()).contains("topP");
        Cli.Result plain = Cli.run("generate", textClassifier(false).toString());
        assertThat(plain.code()).isEqualTo(1);
        assertThat(plain.err()).contains("carries no tokenizer");
    }
}
