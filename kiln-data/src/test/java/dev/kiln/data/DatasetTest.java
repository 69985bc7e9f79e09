package dev.kiln.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DatasetTest {

    /** n samples of shape (2, 3) whose every feature is the sample's index, labels i % classes. */
    static Dataset indexed(int n, int classes) {
        float[] x = new float[n * 6];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            Arrays.fill(x, i * 6, i * 6 + 6, i);
            y[i] = i % classes;
        }
        return new Dataset(x, new int[] {2, 3}, y, classes);
    }

    /** The sample index a row of an {@link #indexed} dataset came from, checking the row is intact. */
    static int origin(float[] x, int row) {
        float v = x[row * 6];
        for (int j = 1; j < 6; j++) assertThat(x[row * 6 + j]).isEqualTo(v);
        return (int) v;
    }

    @Test
    void accessorsDescribeTheData() {
        Dataset d = new Dataset(new float[] {1, 2, 3, 4, 5, 6}, new int[] {3}, new int[] {0, 1}, List.of("cat", "dog"));
        assertThat(d.size()).isEqualTo(2);
        assertThat(d.sampleShape()).containsExactly(3);
        assertThat(d.sampleSize()).isEqualTo(3);
        assertThat(d.numClasses()).isEqualTo(2);
        assertThat(d.classNames()).containsExactly("cat", "dog");
        assertThat(d.labels()).containsExactly(0, 1);
        assertThat(d.classCounts()).containsExactly(1, 1);
        Tensor f = d.features();
        assertThat(f.shape()).containsExactly(2, 3);
        assertThat(f.toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(d.toString()).contains("2 samples", "(3,)", "2 classes");
    }

    @Test
    void returnedArraysAreCopies() {
        Dataset d = indexed(4, 2);
        d.labels()[0] = 1;
        d.sampleShape()[0] = 99;
        assertThat(d.label(0)).isZero();
        assertThat(d.sampleShape()).containsExactly(2, 3);
    }

    @Test
    void rejectsFeaturesNotAMultipleOfTheSampleSize() {
        assertThatThrownBy(() -> new Dataset(new float[10], new int[] {2, 3}, new int[1], 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("10 floats").hasMessageContaining("sample size 6").hasMessageContaining("(2, 3)");
    }

    @Test
    void rejectsLabelCountMismatch() {
        assertThatThrownBy(() -> new Dataset(new float[12], new int[] {2, 3}, new int[3], 2))
                .hasMessageContaining("2 samples").hasMessageContaining("3 labels");
    }

    @Test
    void rejectsLabelOutOfRangeNamingIndexAndValue() {
        assertThatThrownBy(() -> new Dataset(new float[4], new int[] {1}, new int[] {0, 1, 12, -1}, 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("label 12 at index 2")
                .hasMessageContaining("10 classes (valid: 0..9)")
                .hasMessageContaining("2 of 4 labels");
    }

    @Test
    void rejectsBadShapesAndClassNames() {
        assertThatThrownBy(() -> new Dataset(new float[0], new int[] {0, 3}, new int[0], 2)).hasMessageContaining("(0, 3)");
        assertThatThrownBy(() -> new Dataset(new float[2], new int[] {1}, new int[2], 0)).hasMessageContaining("at least 1 class");
        assertThatThrownBy(() -> new Dataset(new float[2], new int[] {1}, new int[2], List.of())).hasMessageContaining("at least 1 class");
    }

    @Test
    void subsetCopiesTheChosenRowsInOrder() {
        Dataset d = indexed(10, 3);
        Dataset s = d.subset(new int[] {7, 2, 2});
        assertThat(s.size()).isEqualTo(3);
        float[] x = s.features().toFloatArray();
        assertThat(new int[] {origin(x, 0), origin(x, 1), origin(x, 2)}).containsExactly(7, 2, 2);
        assertThat(s.labels()).containsExactly(1, 2, 2);
        assertThat(s.numClasses()).isEqualTo(3);
        assertThatThrownBy(() -> d.subset(new int[] {1, 10}))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("index 10 at position 1").hasMessageContaining("10 samples");
    }

    @Test
    void sliceTakesAHalfOpenRange() {
        Dataset d = indexed(10, 3);
        Dataset s = d.slice(3, 6);
        float[] x = s.features().toFloatArray();
        assertThat(new int[] {origin(x, 0), origin(x, 1), origin(x, 2)}).containsExactly(3, 4, 5);
        assertThat(d.slice(4, 4).size()).isZero();
        assertThatThrownBy(() -> d.slice(5, 11)).hasMessageContaining("[5, 11)");
        assertThatThrownBy(() -> d.slice(6, 5)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void splitIsDisjointCompleteAndSeeded() {
        Dataset d = indexed(100, 4);
        Dataset.Split a = d.split(0.2, new Rng(7));
        assertThat(a.validation().size()).isEqualTo(20);
        assertThat(a.train().size()).isEqualTo(80);
        Set<Integer> seen = new HashSet<>();
        for (Dataset part : List.of(a.train(), a.validation())) {
            float[] x = part.features().toFloatArray();
            for (int r = 0; r < part.size(); r++) {
                int o = origin(x, r);
                assertThat(seen.add(o)).as("sample %d appears twice", o).isTrue();
                assertThat(part.label(r)).isEqualTo(o % 4);
            }
        }
        assertThat(seen).hasSize(100);
        Dataset.Split b = d.split(0.2, new Rng(7));
        assertThat(b.validation().features().toFloatArray()).containsExactly(a.validation().features().toFloatArray());
        Dataset.Split c = d.split(0.2, new Rng(8));
        assertThat(c.validation().features().toFloatArray()).isNotEqualTo(a.validation().features().toFloatArray());
        // shuffled, not the first or last 20 in order
        assertThat(a.validation().labels()).isNotEqualTo(d.slice(80, 100).labels());
    }

    @ParameterizedTest
    @ValueSource(doubles = {0, 1, -0.1, 1.5, Double.NaN})
    void splitRejectsFractionsOutsideTheOpenUnitInterval(double f) {
        assertThatThrownBy(() -> indexed(10, 2).split(f, new Rng(1))).hasMessageContaining("(0, 1)");
    }

    @Test
    void splitRejectsFractionsThatLeaveAPartEmpty() {
        assertThatThrownBy(() -> indexed(10, 2).split(0.01, new Rng(1)))
                .hasMessageContaining("0 validation and 10 training").hasMessageContaining("larger fraction");
    }

    @Test
    void unshuffledBatchesAreInOrderWithASmallerLastBatch() {
        Dataset d = indexed(10, 3);
        List<Batch> batches = new ArrayList<>();
        d.batches(4, false, null).forEach(batches::add);
        assertThat(batches).hasSize(3);
        assertThat(d.numBatches(4)).isEqualTo(3);
        assertThat(batches.get(0).x().shape()).containsExactly(4, 2, 3);
        assertThat(batches.get(2).x().shape()).containsExactly(2, 2, 3);
        assertThat(batches.get(2).size()).isEqualTo(2);
        int expected = 0;
        for (Batch b : batches) {
            float[] x = b.x().toFloatArray();
            for (int r = 0; r < b.size(); r++) {
                assertThat(origin(x, r)).isEqualTo(expected);
                assertThat(b.y()[r]).isEqualTo(expected % 3);
                expected++;
            }
        }
    }

    @Test
    void shuffledBatchesCoverEverySampleOnceAndReshuffleEachPass() {
        Dataset d = indexed(50, 5);
        Iterable<Batch> epochs = d.batches(8, true, new Rng(3));
        List<Integer> first = order(epochs);
        List<Integer> second = order(epochs);
        assertThat(first).hasSize(50).doesNotHaveDuplicates();
        assertThat(second).hasSize(50).containsExactlyInAnyOrderElementsOf(first);
        assertThat(second).isNotEqualTo(first);
        assertThat(first).isNotEqualTo(order(d.batches(8, false, null)));
        assertThat(order(d.batches(8, true, new Rng(3)))).isEqualTo(first);   // same seed, same order
    }

    /** The origins of all rows over one pass, checking labels travel with their rows. */
    private static List<Integer> order(Iterable<Batch> batches) {
        List<Integer> out = new ArrayList<>();
        for (Batch b : batches) {
            float[] x = b.x().toFloatArray();
            for (int r = 0; r < b.size(); r++) {
                int o = origin(x, r);
                assertThat(b.y()[r]).isEqualTo(o % 5);
                out.add(o);
            }
        }
        return out;
    }

    @Test
    void batchesValidateArguments() {
        Dataset d = indexed(5, 2);
        assertThatThrownBy(() -> d.batches(0, false, null)).hasMessageContaining("at least 1, got 0");
        assertThatThrownBy(() -> d.batches(2, true, null)).hasMessageContaining("need an Rng");
        var it = d.batches(5, false, null).iterator();
        it.next();
        assertThat(it.hasNext()).isFalse();
        assertThatThrownBy(it::next).isInstanceOf(java.util.NoSuchElementException.class);
    }

    @Test
    void batchRecordChecksItsParts() {
        assertThatThrownBy(() -> new Batch(Tensor.of(new float[6], 3, 2), new int[2]))
                .hasMessageContaining("(3, 2)").hasMessageContaining("2 labels");
    }

    @Test
    void mapTransformsACopy() {
        Dataset d = indexed(3, 2);
        Dataset doubled = d.map(Transforms.scale(2f));
        assertThat(doubled.features().toFloatArray()[6]).isEqualTo(2f);
        assertThat(d.features().toFloatArray()[6]).isEqualTo(1f);
        assertThat(doubled.labels()).containsExactly(d.labels());
        assertThat(doubled.sampleShape()).containsExactly(2, 3);
    }
    @Test
    void reusedBatchesMatchFreshOnesAndRefillTwoBuffers() {
        Dataset d = indexed(23, 3).augmented((x, n, shape, rng) -> {
            for (int i = 0; i < n * 6; i++) x[i] += (float) rng.uniform();   // augmentation draws from the pass's rng
        });
        Iterable<Batch> fresh = d.batches(5, true, new Rng(4));
        Iterable<Batch> reused = d.reusedBatches(5, true, new Rng(4));
        for (int epoch = 0; epoch < 3; epoch++) {   // each pass reshuffles the same way on both sides
            List<Batch> seen = new ArrayList<>();
            var f = fresh.iterator();
            for (Batch r : reused) {
                Batch e = f.next();
                assertThat(r.x().shape()).containsExactly(e.x().shape());
                assertThat(r.x().toFloatArray()).isEqualTo(e.x().toFloatArray());
                assertThat(r.y()).isEqualTo(e.y());
                seen.add(r);
            }
            assertThat(f.hasNext()).isFalse();
            assertThat(seen).hasSize(5);
            assertThat(seen.get(0)).isNotSameAs(seen.get(1));       // the previous batch stays valid while the next is used
            assertThat(seen.get(2)).isIn(seen.get(0), seen.get(1));  // then its buffer is refilled
            assertThat(seen.get(4).size()).isEqualTo(3);            // the short last batch has its own
        }
        assertThat(d.withoutAugmentation().reusedBatches(5, false, null).iterator().next().y()).containsExactly(0, 1, 2, 0, 1);
    }
}
