package dev.kiln.nn.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConfusionMatrixTest {
    private static final double EPS = 1e-12;

    /** scikit-learn's classification_report example: y_true = [0, 1, 2, 2, 2], y_pred = [0, 0, 2, 2, 1]. */
    private static ConfusionMatrix sklearnExample() {
        return new ConfusionMatrix(List.of("class 0", "class 1", "class 2")).add(new int[] {0, 1, 2, 2, 2}, new int[] {0, 0, 2, 2, 1});
    }

    @Test
    void countsPairsWithTrueClassesAsRows() {
        ConfusionMatrix m = sklearnExample();
        assertThat(m.count(0, 0)).isEqualTo(1);
        assertThat(m.count(1, 0)).isEqualTo(1);
        assertThat(m.count(2, 1)).isEqualTo(1);
        assertThat(m.count(2, 2)).isEqualTo(2);
        assertThat(m.count(0, 2)).isZero();
        assertThat(m.total()).isEqualTo(5);
        assertThat(m.support(2)).isEqualTo(3);
        assertThat(m.predictedCount(0)).isEqualTo(2);
    }

    @Test
    void perClassScoresMatchHandComputedValues() {
        ConfusionMatrix m = sklearnExample();
        assertThat(m.accuracy()).isCloseTo(3.0 / 5, within(EPS));
        assertThat(m.precision(0)).isCloseTo(1.0 / 2, within(EPS));   // predicted 0 twice, right once
        assertThat(m.recall(0)).isCloseTo(1.0, within(EPS));
        assertThat(m.f1(0)).isCloseTo(2.0 / 3, within(EPS));
        assertThat(m.precision(1)).isZero();                           // predicted once, wrong
        assertThat(m.recall(1)).isZero();
        assertThat(m.f1(1)).isZero();
        assertThat(m.precision(2)).isCloseTo(1.0, within(EPS));
        assertThat(m.recall(2)).isCloseTo(2.0 / 3, within(EPS));
        assertThat(m.f1(2)).isCloseTo(0.8, within(EPS));
    }

    @Test
    void macroAndWeightedAveragesMatchHandComputedValues() {
        ConfusionMatrix m = sklearnExample();
        assertThat(m.macroPrecision()).isCloseTo((0.5 + 0 + 1) / 3, within(EPS));
        assertThat(m.macroRecall()).isCloseTo((1 + 0 + 2.0 / 3) / 3, within(EPS));
        assertThat(m.macroF1()).isCloseTo((2.0 / 3 + 0 + 0.8) / 3, within(EPS));
        assertThat(m.weightedPrecision()).isCloseTo((0.5 * 1 + 0 * 1 + 1 * 3) / 5, within(EPS));
        assertThat(m.weightedRecall()).isCloseTo(m.accuracy(), within(EPS));
        assertThat(m.weightedF1()).isCloseTo((2.0 / 3 * 1 + 0 * 1 + 0.8 * 3) / 5, within(EPS));
    }

    @Test
    void undefinedScoresAreZeroLikeSklearnZeroDivision() {
        // class 2 never occurs; class 1 is predicted but never true; class 0 is true but never predicted
        ConfusionMatrix m = new ConfusionMatrix(3).add(new int[] {0, 0, 1}, new int[] {1, 1, 1});
        assertThat(m.precision(0)).isZero();      // never predicted: 0/0
        assertThat(m.recall(0)).isZero();         // 0/2
        assertThat(m.precision(1)).isCloseTo(1.0 / 3, within(EPS));
        assertThat(m.recall(1)).isCloseTo(1.0, within(EPS));
        assertThat(m.f1(1)).isCloseTo(0.5, within(EPS));
        assertThat(m.precision(2)).isZero();
        assertThat(m.recall(2)).isZero();
        assertThat(m.f1(2)).isZero();
        // macro averages include the absent class (sklearn with labels=range(3))
        assertThat(m.macroF1()).isCloseTo(0.5 / 3, within(EPS));
        assertThat(m.weightedF1()).isCloseTo(0.5 / 3, within(EPS));   // supports 2, 1, 0

        ConfusionMatrix empty = new ConfusionMatrix(2);
        assertThat(empty.accuracy()).isZero();
        assertThat(empty.macroF1()).isZero();
        assertThat(empty.weightedF1()).isZero();
        assertThat(empty.weightedPrecision()).isZero();
    }

    @Test
    void outOfRangeLabelsFailAndLeaveTheMatrixUnchanged() {
        ConfusionMatrix m = new ConfusionMatrix(3).add(0, 0);
        assertThatThrownBy(() -> m.add(new int[] {0, 1, 3}, new int[] {0, 1, 2}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("true label 3 at index 2 is out of range for 3 classes (valid: 0..2)");
        assertThatThrownBy(() -> m.add(new int[] {0}, new int[] {-1}))
                .hasMessageContaining("predicted label -1 at index 0");
        assertThatThrownBy(() -> m.add(new int[] {0, 1}, new int[] {0}))
                .hasMessageContaining("2 true labels but 1 predictions");
        assertThat(m.total()).isEqualTo(1);
        assertThatThrownBy(() -> m.count(3, 0)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("class 3");
    }

    @Test
    void constructorArgumentsAreChecked() {
        assertThatThrownBy(() -> new ConfusionMatrix(0)).hasMessageContaining("at least 1 class");
        assertThatThrownBy(() -> new ConfusionMatrix(3, List.of("a", "b"))).hasMessageContaining("2 class names for 3 classes");
        assertThat(new ConfusionMatrix(2).classNames()).containsExactly("0", "1");
    }

    @Test
    void matricesMerge() {
        ConfusionMatrix a = new ConfusionMatrix(2).add(0, 1);
        a.addAll(new ConfusionMatrix(2).add(0, 1).add(1, 1));
        assertThat(a.count(0, 1)).isEqualTo(2);
        assertThat(a.total()).isEqualTo(3);
        assertThatThrownBy(() -> a.addAll(new ConfusionMatrix(3))).hasMessageContaining("cannot merge");
    }

    @Test
    void toStringIsAnAlignedTable() {
        ConfusionMatrix m = new ConfusionMatrix(List.of("cat", "dog")).add(new int[] {0, 0, 1}, new int[] {0, 1, 1});
        for (int i = 0; i < 10; i++) m.add(1, 1);
        assertThat(m.toString()).isEqualTo("""
                true \\ pred  cat  dog
                cat            1    1
                dog            0   11
                """);
    }

    @Test
    void toCsvQuotesNamesThatNeedIt() {
        ConfusionMatrix m = new ConfusionMatrix(List.of("a,b", "say \"hi\"")).add(new int[] {0, 1, 1}, new int[] {1, 1, 0});
        assertThat(m.toCsv()).isEqualTo("""
                true\\predicted,"a,b","say ""hi\"""
                "a,b",0,1
                "say ""hi\""",1,1
                """);
    }
}
