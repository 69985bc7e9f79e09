package dev.kiln.data.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.data.InvalidDataException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextsTest {
    @TempDir Path dir;

    @Test
    void malformedUtf8IsRejectedWithFileAndOffsetByDefault() throws Exception {
        Path f = dir.resolve("latin1.txt");
        Files.write(f, new byte[] {'c', 'a', 'f', (byte) 0xE9, ' ', 'o', 'k'});   // "café" in Latin-1
        assertThatThrownBy(() -> Texts.readUtf8(f)).isInstanceOf(InvalidDataException.class)
                .hasMessageContaining(f + ": invalid UTF-8 at byte offset 3 (bytes 0xE9)")
                .hasMessageContaining("Malformed.REPLACE");
    }

    @Test
    void replaceModeRepairsAndCounts() throws Exception {
        Path f = dir.resolve("dirty.txt");
        Files.write(f, new byte[] {'a', (byte) 0xFF, 'b', (byte) 0xC3, 'c', (byte) 0xE2, (byte) 0x82});   // bad, bad, truncated at end
        Texts.Decoded d = Texts.read(f, Texts.Malformed.REPLACE);
        assertThat(d.text()).isEqualTo("a\uFFFDb\uFFFDc\uFFFD");
        assertThat(d.replacements()).isEqualTo(3);
        assertThat(d.firstBadOffset()).isEqualTo(1);
    }

    @Test
    void bomIsDroppedAndEmptyFilesAreEmptyText() throws Exception {
        Path f = dir.resolve("bom.txt");
        Files.write(f, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'h', 'i'});
        assertThat(Texts.readUtf8(f)).isEqualTo("hi");
        Path e = dir.resolve("empty.txt");
        Files.write(e, new byte[0]);
        assertThat(Texts.readUtf8(e)).isEmpty();
        assertThatThrownBy(() -> Texts.readUtf8(dir.resolve("absent.txt"))).hasMessageContaining("absent.txt");
    }

    @Test
    void clipNeverSplitsASurrogatePair() {
        assertThat(Texts.clip("ab🙂c", 3)).isEqualTo("ab");
        assertThat(Texts.clip("ab🙂c", 4)).isEqualTo("ab🙂");
        assertThat(Texts.clip("abc", 10)).isEqualTo("abc");
        assertThat(Texts.clip("abc", 0)).isEmpty();
    }

    @Test
    void textDatasetRefusesNullTextsAndBadLabels() {
        assertThatThrownBy(() -> new TextDataset(java.util.Arrays.asList("a", null), new int[] {0, 1}, List.of("ham", "spam")))
                .hasMessageContaining("text 1 is null");
        assertThatThrownBy(() -> new TextDataset(List.of("a"), new int[] {2}, List.of("ham", "spam")))
                .hasMessageContaining("label 2 of text 0 is outside 0..1");
        assertThatThrownBy(() -> new TextDataset(List.of("a"), new int[] {0, 1}, List.of("ham", "spam")))
                .hasMessageContaining("1 texts but 2 labels");
        TextDataset d = new TextDataset(List.of("a", "b"), new int[] {0, 1}, List.of("ham", "spam"));
        assertThatThrownBy(() -> d.split(0.1, 1)).hasMessageContaining("both need at least 1");
    }

    @Test
    void encodingHandlesEmptyAndVeryLongTexts() {
        TextDataset d = new TextDataset(List.of("", "word ".repeat(100_000)), new int[] {0, 1}, List.of("ham", "spam"));
        var ds = d.encode(WordTokenizer.fit(d.texts(), WordTokenizer.Config.of(10)), 4);
        assertThat(ds.features().toFloatArray()).containsExactly(0, 0, 0, 0, 2, 2, 2, 2);
    }
}
