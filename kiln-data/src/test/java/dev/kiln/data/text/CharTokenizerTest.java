package dev.kiln.data.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CharTokenizerTest {
    @Test
    void idsFollowCodePointOrderAfterPaddingAndOov() {
        CharTokenizer t = CharTokenizer.fit("hello world");
        assertThat(t.alphabet()).isEqualTo(" dehlorw");
        assertThat(t.vocabularySize()).isEqualTo(10);
        assertThat(t.encode("hold")).containsExactly(5, 7, 6, 3);
        assertThat(t.decode(t.encode("hello world"))).isEqualTo("hello world");
    }

    @Test
    void unknownCharactersAreOovAndDecodeAsReplacement() {
        CharTokenizer t = CharTokenizer.fit("ab");
        assertThat(t.encode("abz")).containsExactly(2, 3, 1);
        assertThat(t.decode(new int[] {0, 2, 1, 3})).isEqualTo("a\uFFFDb");
    }

    @Test
    void supplementaryCharactersAreOneTokenEach() {
        String text = "café 🙂!";
        CharTokenizer t = CharTokenizer.fit(text);
        int[] ids = t.encode(text);
        assertThat(ids).hasSize(text.codePointCount(0, text.length()));
        assertThat(t.decode(ids)).isEqualTo(text);
        Tokenizer back = Tokenizers.fromJson(t.toJson());
        assertThat(back).isEqualTo(t);
        assertThat(back.decode(ids)).isEqualTo(text);
    }

    @Test
    void emptyCorpusAndEmptyTextWork() {
        CharTokenizer t = CharTokenizer.fit("");
        assertThat(t.vocabularySize()).isEqualTo(2);
        assertThat(t.encode("")).isEmpty();
        assertThat(t.encode("x")).containsExactly(CharTokenizer.OOV);
    }

    @Test
    void aHandEditedAlphabetOutOfOrderIsRefused() {
        assertThatThrownBy(() -> Tokenizers.fromJson("{\"type\":\"char\",\"version\":1,\"alphabet\":\"ba\"}"))
                .hasMessageContaining("ascending");
        assertThatThrownBy(() -> CharTokenizer.fit("ab").decode(new int[] {-1})).hasMessageContaining("token id -1");
    }
}
