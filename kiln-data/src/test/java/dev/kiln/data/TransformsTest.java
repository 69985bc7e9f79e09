package dev.kiln.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.core.Rng;
import dev.kiln.core.Tensor;
import org.junit.jupiter.api.Test;

class TransformsTest {

    /** 3 features: a normal one, a constant one, and one with a large offset. */
    private static Dataset sample(int n, long seed) {
        Rng rng = new Rng(seed);
        float[] x = new float[n * 3];
        for (int i = 0; i < n; i++) {
            x[i * 3] = (float) (2 + 3 * rng.normal());
            x[i * 3 + 1] = 5f;
            x[i * 3 + 2] = (float) (1000 + rng.uniform());
        }
        return new Dataset(x, new int[] {3}, new int[n], 1);
    }

    @Test
    void scaleMultipliesEveryFeature() {
        Dataset d = new Dataset(new float[] {0, 255, 51}, new int[] {3}, new int[1], 1).map(Transforms.scale(1 / 255f));
        assertThat(d.features().toFloatArray()).containsExactly(new float[] {0f, 1f, 0.2f}, within(1e-6f));
        assertThatThrownBy(() -> Transforms.scale(Float.NaN)).hasMessageContaining("finite");
    }

    @Test
    void andThenAppliesInOrder() {
        FeatureTransform addOne = (data, off, n) -> {
            for (int i = off; i < off + n; i++) data[i] += 1;
        };
        Dataset d = new Dataset(new float[] {1, 2}, new int[] {1}, new int[2], 1);
        assertThat(d.map(addOne.andThen(Transforms.scale(10))).features().toFloatArray()).containsExactly(20f, 30f);
        assertThat(d.map(Transforms.scale(10).andThen(addOne)).features().toFloatArray()).containsExactly(11f, 21f);
    }

    @Test
    void oneHotPutsAOneInTheLabelColumn() {
        Tensor t = Transforms.oneHot(new int[] {2, 0, 1}, 3);
        assertThat(t.shape()).containsExactly(3, 3);
        assertThat(t.toFloatArray()).containsExactly(0, 0, 1, 1, 0, 0, 0, 1, 0);
        assertThat(Transforms.oneHot(new int[0], 4).shape()).containsExactly(0, 4);
        assertThatThrownBy(() -> Transforms.oneHot(new int[] {0, 3}, 3)).hasMessageContaining("label 3 at index 1").hasMessageContaining("0..2");
        assertThatThrownBy(() -> Transforms.oneHot(new int[] {0}, 0)).hasMessageContaining("at least 1 class");
    }

    @Test
    void standardizerGivesZeroMeanUnitStdAndMapsConstantFeaturesToZero() {
        Dataset train = sample(2000, 1);
        Standardizer s = Standardizer.fit(train);
        assertThat(s.mean()[0]).isCloseTo(2f, within(0.2f));
        assertThat(s.std()[0]).isCloseTo(3f, within(0.2f));
        assertThat(s.std()[1]).isEqualTo(1f);   // constant: left at 1 so it maps to 0
        float[] z = train.map(s).features().toFloatArray();
        for (int j = 0; j < 3; j++) {
            double sum = 0;
            double sq = 0;
            for (int i = 0; i < 2000; i++) {
                sum += z[i * 3 + j];
                sq += z[i * 3 + j] * z[i * 3 + j];
            }
            assertThat(sum / 2000).as("mean of feature %d", j).isCloseTo(0, within(1e-4));
            assertThat(Math.sqrt(sq / 2000)).as("std of feature %d", j).isCloseTo(j == 1 ? 0 : 1, within(1e-3));
        }
    }

    @Test
    void standardizerAppliesTrainingStatisticsToOtherData() {
        Standardizer s = Standardizer.fit(new Dataset(new float[] {0, 10, 2, 30}, new int[] {2}, new int[2], 1));
        // means (1, 20), stds (1, 10)
        Dataset other = new Dataset(new float[] {3, 40}, new int[] {2}, new int[1], 1).map(s);
        assertThat(other.features().toFloatArray()).containsExactly(2f, 2f);
        assertThatThrownBy(() -> new Dataset(new float[3], new int[] {3}, new int[1], 1).map(s))
                .hasMessageContaining("fitted on samples of 2 features").hasMessageContaining("samples of 3");
        assertThatThrownBy(() -> Standardizer.fit(new Dataset(new float[0], new int[] {2}, new int[0], 1))).hasMessageContaining("empty");
    }

    @Test
    void minMaxScalesToTheUnitIntervalOfTheFittedData() {
        Dataset train = new Dataset(new float[] {1, 5, 3, 5, 2, 5}, new int[] {2}, new int[3], 1);
        MinMax m = MinMax.fit(train);
        assertThat(m.min()).containsExactly(1f, 5f);
        assertThat(m.max()).containsExactly(3f, 5f);
        assertThat(train.map(m).features().toFloatArray()).containsExactly(0f, 0f, 1f, 0f, 0.5f, 0f);
        Dataset other = new Dataset(new float[] {5, 7}, new int[] {2}, new int[1], 1).map(m);
        assertThat(other.features().toFloatArray()).containsExactly(2f, 2f);   // not clipped
    }
}
