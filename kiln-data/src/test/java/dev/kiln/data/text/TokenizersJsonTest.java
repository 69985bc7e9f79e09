package dev.kiln.data.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TokenizersJsonTest {
    @Test
    void everyTokenizerComesBackAsItsOwnType() {
        List<Tokenizer> all = List.of(WordTokenizer.fit(List.of("a b c"), WordTokenizer.Config.of(10)), CharTokenizer.fit("abc"),
                BpeTokenizer.train("abab abab", 260));
        for (Tokenizer t : all) {
            Tokenizer back = Tokenizers.fromJson(t.toJson());
            assertThat(back).isEqualTo(t).hasSameClassAs(t);
            assertThat(back.vocabularySize()).isEqualTo(t.vocabularySize());
        }
    }

    @Test
    void damagedOrForeignJsonIsRefusedWithAReason() {
        assertThatThrownBy(() -> Tokenizers.fromJson("{not json")).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> Tokenizers.fromJson("[1,2]")).hasMessageContaining("should be an object");
        assertThatThrownBy(() -> Tokenizers.fromJson("")).hasMessageContaining("should be an object");
        assertThatThrownBy(() -> Tokenizers.fromJson("{\"version\":1}")).hasMessageContaining("lacks the field 'type'");
        assertThatThrownBy(() -> Tokenizers.fromJson("{\"type\":\"java.lang.Runtime\",\"version\":1}"))
                .hasMessageContaining("expected one of 'word', 'char', 'bpe'");
        assertThatThrownBy(() -> Tokenizers.fromJson("{\"type\":\"char\",\"version\":2,\"alphabet\":\"a\"}"))
                .hasMessageContaining("version 2").hasMessageContaining("upgrade Kiln");
        assertThatThrownBy(() -> Tokenizers.fromJson("{\"type\":\"word\",\"version\":1,\"max_tokens\":\"ten\"}"))
                .hasMessageContaining("'max_tokens' should be an integer");
        assertThatThrownBy(() -> Tokenizers.fromJson("{\"type\":\"word\",\"version\":1,\"max_tokens\":10,\"lowercase\":true,"
                + "\"punctuation\":\"EAT\",\"oov_token\":\"[UNK]\",\"words\":[]}")).hasMessageContaining("STRIP, SPLIT, KEEP");
        assertThatThrownBy(() -> Tokenizers.fromJson("{\"type\":\"word\",\"version\":1,\"max_tokens\":3,\"lowercase\":true,"
                + "\"punctuation\":\"STRIP\",\"oov_token\":\"[UNK]\",\"words\":[\"a\",\"b\"]}")).hasMessageContaining("exceed maxTokens 3");
    }
}
