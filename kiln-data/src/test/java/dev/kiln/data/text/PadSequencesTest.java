package dev.kiln.data.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.data.text.Sequences.Padding;
import dev.kiln.data.text.Sequences.Truncating;
import java.util.List;
import org.junit.jupiter.api.Test;

class PadSequencesTest {
    private static final List<int[]> SEQS = List.of(new int[] {1, 2, 3, 4, 5}, new int[] {6, 7}, new int[0]);

    @Test
    void defaultsArePrePaddingAndPreTruncatingAsKeras() {
        int[][] p = Sequences.padSequences(SEQS, 3);
        assertThat(p[0]).containsExactly(3, 4, 5);   // beginning dropped
        assertThat(p[1]).containsExactly(0, 6, 7);
        assertThat(p[2]).containsExactly(0, 0, 0);
    }

    @Test
    void postPaddingAndPostTruncatingKeepTheBeginning() {
        int[][] p = Sequences.padSequences(SEQS, 3, Padding.POST, Truncating.POST, -1);
        assertThat(p[0]).containsExactly(1, 2, 3);
        assertThat(p[1]).containsExactly(6, 7, -1);
        assertThat(p[2]).containsExactly(-1, -1, -1);
    }

    @Test
    void mixedSidesAndExactLengths() {
        int[][] p = Sequences.padSequences(new int[][] {{1, 2, 3, 4, 5}, {6, 7}}, 4, Padding.POST, Truncating.PRE, 0);
        assertThat(p[0]).containsExactly(2, 3, 4, 5);
        assertThat(p[1]).containsExactly(6, 7, 0, 0);
        assertThat(Sequences.padSequences(List.of(new int[] {9, 8}), 2)[0]).containsExactly(9, 8);
    }

    @Test
    void floatsAreRowMajorWithTheSameLayout() {
        float[] f = Sequences.padToFloats(SEQS, 3, Padding.PRE, Truncating.PRE, 0);
        assertThat(f).containsExactly(3, 4, 5, 0, 6, 7, 0, 0, 0);
        assertThat(Sequences.longest(SEQS)).isEqualTo(5);
    }

    @Test
    void inputsAreNotChangedAndBadArgumentsAreExplained() {
        int[] a = {1, 2, 3};
        Sequences.padSequences(List.of(a), 2);
        assertThat(a).containsExactly(1, 2, 3);
        assertThatThrownBy(() -> Sequences.padSequences(SEQS, 0)).hasMessageContaining("maxLen must be at least 1");
        assertThatThrownBy(() -> Sequences.padSequences(java.util.Arrays.asList(new int[1], null), 2)).hasMessageContaining("sequence 1 is null");
    }
}
