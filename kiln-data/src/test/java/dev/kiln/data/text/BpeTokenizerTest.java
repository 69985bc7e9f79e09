package dev.kiln.data.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Rng;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BpeTokenizerTest {
    @Test
    void bytesAloneAreIdsOneTo256() {
        BpeTokenizer t = BpeTokenizer.bytes();
        assertThat(t.vocabularySize()).isEqualTo(257);
        assertThat(t.encode("Aé")).containsExactly('A' + 1, 0xC3 + 1, 0xA9 + 1);
        assertThat(t.oovId()).isEqualTo(Tokenizer.NONE);
    }

    @Test
    void learnsTheMostFrequentPairFirstAndMergesWithinChunksOnly() {
        BpeTokenizer t = BpeTokenizer.train("aaab aaab aaab", 259);
        // chunks "aaab", " aaab", " aaab": (a,a) occurs 6 times, so it is merge 0; then (aa, a) or (a, b)
        assertThat(t.numMerges()).isEqualTo(2);
        assertThat(new String(t.tokenBytes(BpeTokenizer.FIRST_MERGE), StandardCharsets.UTF_8)).isEqualTo("aa");
        int[] ids = t.encode("aaab");
        assertThat(ids.length).isLessThan(4);
        assertThat(t.decode(ids)).isEqualTo("aaab");
        // a space starts a new chunk: no merge may join "b" and " "
        for (int id = BpeTokenizer.FIRST_MERGE; id < t.vocabularySize(); id++) {
            assertThat(new String(t.tokenBytes(id), StandardCharsets.UTF_8)).doesNotContain("b ");
        }
    }

    @Test
    void stopsEarlyWhenNoPairRepeats() {
        BpeTokenizer t = BpeTokenizer.train("abcdef", 1000);
        assertThat(t.numMerges()).isZero();
        assertThat(t.vocabularySize()).isEqualTo(257);
    }

    @Test
    void roundTripsAnyWellFormedStringExactly() {
        String corpus = Corpus.load().substring(0, 40_000);
        BpeTokenizer t = BpeTokenizer.train(corpus, 600);
        assertThat(t.vocabularySize()).isEqualTo(600);
        for (String s : new String[] {"", " ", "\n\n", "Mr. Darcy's  pride\t\r\n", "naïve café — “quotes” 🙂👍🏽 中文 Ελληνικά",
                "x".repeat(5000), "   leading and trailing   ", "it's they'll we've I'm", "123 4567 3.14"}) {
            assertThat(t.decode(t.encode(s))).isEqualTo(s);
        }
        Rng rng = new Rng(7);
        for (int k = 0; k < 200; k++) {
            StringBuilder sb = new StringBuilder();
            int n = rng.nextInt(30);
            for (int i = 0; i < n; i++) {
                int cp;
                do cp = rng.nextInt(3) == 0 ? rng.nextInt(0x110000) : rng.nextInt(0x250);
                while (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE);
                sb.appendCodePoint(cp);
            }
            String s = sb.toString();
            assertThat(t.decode(t.encode(s))).as("random string %d", k).isEqualTo(s);
        }
    }

    @Test
    void compressesTheTextItWasTrainedOn() {
        String corpus = Corpus.load().substring(0, 40_000);
        BpeTokenizer t = BpeTokenizer.train(corpus, 600);
        int bytes = corpus.getBytes(StandardCharsets.UTF_8).length;
        assertThat(t.encode(corpus).length).isLessThan(bytes / 2);
    }

    @Test
    void trainingIsDeterministicAndSurvivesJson() {
        String corpus = Corpus.load().substring(0, 20_000);
        BpeTokenizer a = BpeTokenizer.train(corpus, 400), b = BpeTokenizer.train(corpus, 400);
        assertThat(a).isEqualTo(b);
        Tokenizer back = Tokenizers.fromJson(a.toJson());
        assertThat(back).isEqualTo(a);
        assertThat(back.encode(corpus)).containsExactly(a.encode(corpus));
    }

    @Test
    void decodeOfBrokenByteSequencesWritesReplacementInsteadOfFailing() {
        BpeTokenizer t = BpeTokenizer.bytes();
        int[] ids = t.encode("é");   // two bytes
        assertThat(t.decode(Arrays.copyOf(ids, 1))).isEqualTo("\uFFFD");
        assertThat(t.decode(new int[] {0, 'a' + 1, 0})).isEqualTo("a");
    }

    @Test
    void loneSurrogatesEncodeAsQuestionMarksWithoutCrashing() {
        BpeTokenizer t = BpeTokenizer.bytes();
        assertThat(t.decode(t.encode("a\uD800b"))).isEqualTo("a?b");
    }

    @Test
    void hugeChunksAreCutSoEncodingStaysFast() {
        BpeTokenizer t = BpeTokenizer.train("ab ".repeat(200), 300);
        String s = "ab".repeat(200_000);   // one 400,000-letter "word"
        int[] ids = t.encode(s);
        assertThat(t.decode(ids)).isEqualTo(s);
        assertThat(BpeTokenizer.chunks("y".repeat(130))).extracting(String::length).containsExactly(64, 64, 2);
    }

    @Test
    void damagedMergeListsAreRefused() {
        assertThatThrownBy(() -> BpeTokenizer.train("x", 100)).hasMessageContaining("at least 257");
        assertThatThrownBy(() -> Tokenizers.fromJson("{\"type\":\"bpe\",\"version\":1,\"pretokenizer\":\"gpt2-simplified\",\"max_chunk\":64,\"merges\":[258,2]}"))
                .hasMessageContaining("merge 0 joins ids 258 and 2");
        assertThatThrownBy(() -> Tokenizers.fromJson("{\"type\":\"bpe\",\"version\":1,\"pretokenizer\":\"gpt2-simplified\",\"max_chunk\":64,\"merges\":[2,3,2,3]}"))
                .hasMessageContaining("repeats the pair");
        assertThatThrownBy(() -> Tokenizers.fromJson("{\"type\":\"bpe\",\"version\":1,\"pretokenizer\":\"gpt2-simplified\",\"max_chunk\":64,\"merges\":[2]}"))
                .hasMessageContaining("odd length");
        assertThatThrownBy(() -> Tokenizers.fromJson("{\"type\":\"bpe\",\"version\":1,\"pretokenizer\":\"llama\",\"max_chunk\":64,\"merges\":[]}"))
                .hasMessageContaining("pre-tokeniser 'llama'");
    }
}
