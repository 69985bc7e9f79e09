package dev.kiln.data.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Rng;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {
    @TempDir Path dir;

    @Test
    void theShippedCorpusIsTheCommittedNovelText() throws Exception {
        String text = Corpus.load();
        assertThat(text).startsWith("PRIDE AND PREJUDICE\n\nBy Jane Austen").contains("It is a truth universally acknowledged");
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        assertThat(bytes).hasSize(299_712);
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))).isEqualTo(Corpus.PRIDE_AND_PREJUDICE_SHA256);
        assertThat(Corpus.load(Corpus.PRIDE_AND_PREJUDICE)).isEqualTo(text);
    }

    @Test
    void aFileCorpusIsReadAsUtf8() throws Exception {
        Path f = dir.resolve("c.txt");
        Files.writeString(f, "naïve 🙂");
        assertThat(Corpus.load(f)).isEqualTo("naïve 🙂");
        assertThat(Corpus.load(f.toString())).isEqualTo("naïve 🙂");
    }

    @Test
    void windowsPairEachTokenWithTheNext() {
        LanguageModelData lm = new LanguageModelData(new int[] {10, 11, 12, 13, 14, 15}, 3);
        assertThat(lm.numWindows()).isEqualTo(3);
        LanguageModelData.LmBatch w = lm.window(2);
        assertThat(w.inputs().shape()).containsExactly(1, 3);
        assertThat(w.inputs().toFloatArray()).containsExactly(12, 13, 14);
        assertThat(w.targets()).containsExactly(13, 14, 15);
        assertThatThrownBy(() -> lm.window(3)).hasMessageContaining("window start 3 is outside [0, 3)");
    }

    @Test
    void randomBatchesAreSeededAndStayInside() {
        int[] tokens = new int[100];
        for (int i = 0; i < tokens.length; i++) tokens[i] = i;
        LanguageModelData lm = new LanguageModelData(tokens, 8);
        LanguageModelData.LmBatch a = lm.batch(16, new Rng(1)), b = lm.batch(16, new Rng(1));
        assertThat(a.inputs().toFloatArray()).containsExactly(b.inputs().toFloatArray());
        assertThat(a.batchSize()).isEqualTo(16);
        assertThat(a.contextLength()).isEqualTo(8);
        float[] x = a.inputs().toFloatArray();
        for (int r = 0; r < 16; r++) {
            for (int j = 0; j < 8; j++) {
                assertThat(a.targets()[r * 8 + j]).isEqualTo((int) x[r * 8 + j] + 1);   // next token
                if (j > 0) assertThat(x[r * 8 + j]).isEqualTo(x[r * 8 + j - 1] + 1);   // contiguous window
            }
        }
        assertThat(lm.batch(16, new Rng(2)).inputs().toFloatArray()).isNotEqualTo(x);
    }

    @Test
    void charLevelDataFromTheShippedCorpus() {
        String text = Corpus.load();
        CharTokenizer t = CharTokenizer.fit(text);
        LanguageModelData lm = LanguageModelData.of(text, t, 128);
        assertThat(lm.numTokens()).isEqualTo(text.length());
        LanguageModelData.Split s = lm.split(0.1);
        assertThat(s.train().numTokens() + s.validation().numTokens()).isEqualTo(lm.numTokens());
        assertThat(s.validation().numTokens()).isEqualTo(Math.round(lm.numTokens() * 0.1));
        assertThat(t.decode(s.validation().window(0).targets())).isEqualTo(text.substring(s.train().numTokens() + 1, s.train().numTokens() + 129));
    }

    @Test
    void tooLittleTextIsExplained() {
        assertThatThrownBy(() -> new LanguageModelData(new int[3], 3)).hasMessageContaining("needs 4 tokens");
        assertThatThrownBy(() -> new LanguageModelData(new int[10], 3).split(0.1)).hasMessageContaining("each needs at least 4");
    }
}
