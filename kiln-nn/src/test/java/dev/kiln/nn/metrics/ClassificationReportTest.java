package dev.kiln.nn.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClassificationReportTest {

    @Test
    void printsScikitLearnsExampleCharacterForCharacter() {
        ConfusionMatrix m = new ConfusionMatrix(List.of("class 0", "class 1", "class 2")).add(new int[] {0, 1, 2, 2, 2}, new int[] {0, 0, 2, 2, 1});
        // The output of sklearn.metrics.classification_report(y_true, y_pred, target_names=...) from its documentation.
        assertThat(m.report().toString()).isEqualTo("""
                              precision    recall  f1-score   support

                     class 0       0.50      1.00      0.67         1
                     class 1       0.00      0.00      0.00         1
                     class 2       1.00      0.67      0.80         3

                    accuracy                           0.60         5
                   macro avg       0.50      0.56      0.49         5
                weighted avg       0.70      0.60      0.61         5
                """);
    }

    @Test
    void rowsCarryTheNumbers() {
        ClassificationReport r = new ConfusionMatrix(2).add(new int[] {0, 0, 1, 1}, new int[] {0, 1, 1, 1}).report();
        assertThat(r.classes()).extracting(ClassificationReport.Row::label).containsExactly("0", "1");
        assertThat(r.classes().get(1).precision()).isEqualTo(2.0 / 3);
        assertThat(r.classes().get(0).support()).isEqualTo(2);
        assertThat(r.accuracy()).isEqualTo(0.75);
        assertThat(r.total()).isEqualTo(4);
        assertThat(r.macroAvg().recall()).isEqualTo(0.75);
    }

    @Test
    void tiesRoundHalfToEvenAsPythonDoes() {
        // precision of class 0 is exactly 1/8 = 0.125: Python prints 0.12, Java's %.2f would print 0.13
        ConfusionMatrix m = new ConfusionMatrix(2).add(new int[] {0, 1, 1, 1, 1, 1, 1, 1}, new int[] {0, 0, 0, 0, 0, 0, 0, 0});
        String line = m.report().toString().lines().filter(l -> l.trim().startsWith("0 ")).findFirst().orElseThrow();
        assertThat(line).isEqualTo("           0       0.12      1.00      0.22         1");
        assertThat(ClassificationReport.fixed(0.375, 2)).isEqualTo("0.38");
        assertThat(ClassificationReport.fixed(2.0 / 3, 4)).isEqualTo("0.6667");
    }

    @Test
    void digitsAddDecimalsInFixedColumnsAndLongNamesWidenTheFirstColumn() {
        ConfusionMatrix m = new ConfusionMatrix(List.of("a-very-long-class-name", "b")).add(new int[] {0, 1}, new int[] {0, 0});
        String text = m.report().format(4);
        assertThat(text).contains("a-very-long-class-name     0.5000    1.0000    0.6667         1");
        assertThat(text).contains("          weighted avg     0.2500    0.5000    0.3333         2");
        assertThatThrownBy(() -> m.report().format(-1)).hasMessageContaining("digits");
    }
}
