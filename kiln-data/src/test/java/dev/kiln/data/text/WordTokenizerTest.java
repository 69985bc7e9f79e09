package dev.kiln.data.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.core.Rng;
import java.util.List;
import org.junit.jupiter.api.Test;

class WordTokenizerTest {
    private static final List<String> TEXTS = List.of("The cat sat.", "the DOG sat!", "The cat, the dog; a bird?");

    @Test
    void vocabularyIsByFrequencyWithPaddingAndOovFirstLikeKeras() {
        WordTokenizer t = WordTokenizer.fit(TEXTS, WordTokenizer.Config.of(100));
        // the ×4, cat ×2, sat ×2, dog ×2 (ties in order of first appearance), a, bird
        assertThat(t.vocabulary()).containsExactly("", "[UNK]", "the", "cat", "sat", "dog", "a", "bird");
        assertThat(t.vocabularySize()).isEqualTo(8);
        assertThat(t.encode("The bird sat on the cat!")).containsExactly(2, 7, 4, 1, 2, 3);
        assertThat(t.padId()).isZero();
        assertThat(t.oovId()).isEqualTo(1);
    }

    @Test
    void maxTokensCountsPaddingAndOovAndDropsTheRarestWords() {
        WordTokenizer t = WordTokenizer.fit(TEXTS, WordTokenizer.Config.of(4));
        assertThat(t.vocabulary()).containsExactly("", "[UNK]", "the", "cat");
        assertThat(t.encode("the dog")).containsExactly(2, 1);
        assertThat(t.decode(new int[] {0, 0, 2, 1, 3})).isEqualTo("the [UNK] cat");
    }

    @Test
    void punctuationCanBeStrippedSplitOrKept() {
        String text = "Don't stop—“now”!";
        var strip = WordTokenizer.fit(List.of(text), WordTokenizer.Config.of(50));
        assertThat(strip.standardize(text)).containsExactly("dont", "stopnow");
        var split = WordTokenizer.fit(List.of(text), WordTokenizer.Config.of(50).withPunctuation(WordTokenizer.Punctuation.SPLIT));
        assertThat(split.standardize(text)).containsExactly("don", "'", "t", "stop", "—", "“", "now", "”", "!");
        var keep = WordTokenizer.fit(List.of(text), WordTokenizer.Config.of(50).withPunctuation(WordTokenizer.Punctuation.KEEP).withLowercase(false));
        assertThat(keep.standardize(text)).containsExactly("Don't", "stop—“now”!");
    }

    /** The scanner must agree with the regex definition it replaced (ASCII + Unicode punctuation, Unicode White_Space). */
    @Test
    void standardisationMatchesTheRegexDefinitionOnRandomText() {
        java.util.regex.Pattern punct = java.util.regex.Pattern.compile("[\\p{Punct}\\p{IsPunctuation}]");
        java.util.regex.Pattern white = java.util.regex.Pattern.compile("\\p{IsWhite_Space}+");
        int[] pool = {'a', 'Z', '7', ' ', '\t', '\n', 0xA0, 0x2009, 0x3000, 0x85, 0x1C, '!', '\'', '-', '_', '~', 0x2014, 0x201C,
                0x00BF, 0x00E9, 0x0130, 0x03A3, 0x1F642, 0x10100, 0x3001, '$', '+', 0x00A7};
        Rng rng = new Rng(3);
        for (WordTokenizer.Punctuation p : WordTokenizer.Punctuation.values()) {
            WordTokenizer t = WordTokenizer.fit(List.of(), WordTokenizer.Config.of(10).withPunctuation(p));
            for (int k = 0; k < 300; k++) {
                StringBuilder sb = new StringBuilder();
                for (int i = rng.nextInt(20); i > 0; i--) sb.appendCodePoint(pool[rng.nextInt(pool.length)]);
                String s = sb.toString().toLowerCase(java.util.Locale.ROOT);
                s = switch (p) {
                    case STRIP -> punct.matcher(s).replaceAll("");
                    case SPLIT -> punct.matcher(s).replaceAll(" $0 ");
                    case KEEP -> s;
                };
                List<String> expected = java.util.Arrays.stream(white.split(s)).filter(w -> !w.isEmpty()).toList();
                assertThat(t.standardize(sb.toString())).as("%s on '%s'", p, sb).isEqualTo(expected);
            }
        }
    }

    @Test
    void emptyAndWhitespaceOnlyTextsEncodeToNothing() {
        WordTokenizer t = WordTokenizer.fit(List.of("", "  \n\t "), WordTokenizer.Config.of(10));
        assertThat(t.vocabularySize()).isEqualTo(2);
        assertThat(t.encode("")).isEmpty();
        assertThat(t.encode(" ... ")).isEmpty();
        assertThat(t.decode(new int[0])).isEmpty();
    }

    @Test
    void badInputGetsClearErrors() {
        assertThatThrownBy(() -> WordTokenizer.Config.of(1)).hasMessageContaining("at least 2");
        assertThatThrownBy(() -> WordTokenizer.fit(java.util.Arrays.asList("a", null), WordTokenizer.Config.of(10)))
                .hasMessageContaining("text 1 is null");
        WordTokenizer t = WordTokenizer.fit(TEXTS, WordTokenizer.Config.of(100));
        assertThatThrownBy(() -> t.decode(new int[] {2, 8})).hasMessageContaining("token id 8 at position 1").hasMessageContaining("[0, 8)");
        assertThatThrownBy(() -> WordTokenizer.of(List.of("a", "a"), WordTokenizer.Config.of(10))).hasMessageContaining("appears twice");
    }

    @Test
    void jsonRoundTripGivesAnEqualTokenizer() {
        WordTokenizer t = WordTokenizer.fit(TEXTS, WordTokenizer.Config.of(6).withOovToken("<oov>").withPunctuation(WordTokenizer.Punctuation.SPLIT));
        Tokenizer back = Tokenizers.fromJson(t.toJson());
        assertThat(back).isEqualTo(t).isInstanceOf(WordTokenizer.class);
        assertThat(back.encode("the cat, a fish")).containsExactly(t.encode("the cat, a fish"));
        assertThat(back.decode(new int[] {1})).isEqualTo("<oov>");
    }
}
