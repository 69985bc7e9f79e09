package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import dev.kiln.data.text.BpeTokenizer;
import dev.kiln.data.text.CharTokenizer;
import dev.kiln.data.text.Corpus;
import dev.kiln.data.text.Tokenizers;
import dev.kiln.data.text.WordTokenizer;
import dev.kiln.nn.Model;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Embedding;
import dev.kiln.nn.layers.Lstm;
import dev.kiln.nn.optimizers.Adam;
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

    /**
     * The BPE path of {@code examples/BpeGpt.java} in miniature: merges learned from 4 KB of the corpus, a
     * one-block GPT trained a few steps, saved with its tokenizer; generate must decode merged tokens back to
     * the corpus's own characters (a wrongly read merge list would print other bytes or U+FFFD).
     */
    @Test
    void generateDecodesABpeModelWithTheMergesItWasSavedWith() throws Exception {
        String text = Corpus.load().substring(0, 4000);
        BpeTokenizer tok = BpeTokenizer.train(text, 320);
        assertThat(tok.numMerges()).isPositive();
        int[] ids = tok.encode(text);
        GptConfig config = new GptConfig(tok.vocabularySize(), 16, 16, 2, 1, 0);
        Sequential model = Gpt.build(config, 5);
        Adam adam = new Adam(1e-2);
        Rng rng = new Rng(5);
        float first = Float.NaN, last = Float.NaN;
        for (int step = 0; step < 12; step++) {
            Tensor[] xy = Gpt.windows(ids, Gpt.randomStarts(rng, ids.length, config.contextLength(), 8), config.contextLength());
            last = Gpt.trainStep(model, adam, xy[0], xy[1], rng);
            if (step == 0) first = last;
        }
        assertThat(last).as("the loss falls").isLessThan(first);
        model.preprocessing(tok.toJson());
        Path file = dir.resolve("bpe.kiln");
        model.save(file);
        assertThat(Tokenizers.fromJson(Model.load(file).preprocessing())).as("save/load keeps the merges").isEqualTo(tok);

        Cli.Result r = Cli.run("generate", file.toString(), "--prompt", "Elizabeth", "--tokens", "30", "--top-k", "10", "--seed", "3");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("Elizabeth").doesNotContain("\uFFFD");
        String continuation = r.out().substring("Elizabeth".length()).stripTrailing();
        assertThat(continuation.length()).as("each token is at least one character").isGreaterThanOrEqualTo(30);
        for (char ch : continuation.toCharArray()) assertThat(text).as("generated character %s", (int) ch).contains(String.valueOf(ch));
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
