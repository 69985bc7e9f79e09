package dev.kiln.data.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.kiln.core.Rng;
import dev.kiln.data.Batch;
import dev.kiln.data.Dataset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class AugmentTest {
    private static final int H = 5;
    private static final int W = 6;
    private static final int C = 2;

    /** n distinct samples (H, W, C) with value 1 + sample·1000 + (y·W + x)·C + c, so every pixel is unique and nonzero. */
    private static float[] batch(int n) {
        float[] x = new float[n * H * W * C];
        for (int i = 0; i < x.length; i++) x[i] = 1 + (i / (H * W * C)) * 1000 + i % (H * W * C);
        return x;
    }

    private static float px(float[] x, int s, int y, int xx, int c) {
        return x[s * H * W * C + (y * W + xx) * C + c];
    }

    private static float[] apply(ImageAugmentation a, float[] x, int n, long seed) {
        float[] copy = x.clone();
        a.applyInPlace(copy, n, new int[] {H, W, C}, new Rng(seed));
        return copy;
    }

    @Test
    void noneChangesNothing() {
        float[] x = batch(3);
        assertThat(apply(ImageAugmentation.none(), x, 3, 1)).containsExactly(x);
    }

    @Test
    void flipsMirrorExactlyAndAboutHalfTheTime() {
        int n = 200;
        float[] x = batch(n);
        float[] y = apply(ImageAugmentation.none().withHorizontalFlip(true), x, n, 7);
        int flipped = 0;
        for (int s = 0; s < n; s++) {
            boolean same = px(y, s, 0, 0, 0) == px(x, s, 0, 0, 0);
            for (int r = 0; r < H; r++) {
                for (int c = 0; c < W; c++) {
                    for (int k = 0; k < C; k++) {
                        assertThat(px(y, s, r, c, k)).isEqualTo(same ? px(x, s, r, c, k) : px(x, s, r, W - 1 - c, k));
                    }
                }
            }
            if (!same) flipped++;
        }
        assertThat(flipped).isBetween(70, 130);
    }

    @Test
    void padAndCropShiftsByWholePixelsWithinThePaddingAndFillsZeros() {
        int n = 100;
        int pad = 2;
        float[] x = batch(n);
        float[] y = apply(ImageAugmentation.none().withCropPadding(pad), x, n, 3);
        java.util.Set<String> shifts = new java.util.HashSet<>();
        for (int s = 0; s < n; s++) {
            // Find the shift from any pixel that came from the input, then check every pixel against it.
            int dy = Integer.MIN_VALUE;
            int dx = 0;
            for (int r = 0; r < H && dy == Integer.MIN_VALUE; r++) {
                for (int c = 0; c < W; c++) {
                    float v = px(y, s, r, c, 0);
                    if (v != 0) {
                        int p = (int) (v - 1 - s * 1000) / C;
                        dy = p / W - r;
                        dx = p % W - c;
                        break;
                    }
                }
            }
            assertThat(Math.abs(dy)).isLessThanOrEqualTo(pad);
            assertThat(Math.abs(dx)).isLessThanOrEqualTo(pad);
            shifts.add(dy + "," + dx);
            for (int r = 0; r < H; r++) {
                for (int c = 0; c < W; c++) {
                    int sr = r + dy;
                    int sc = c + dx;
                    for (int k = 0; k < C; k++) {
                        float want = sr < 0 || sr >= H || sc < 0 || sc >= W ? 0f : px(x, s, sr, sc, k);
                        assertThat(px(y, s, r, c, k)).isEqualTo(want);
                    }
                }
            }
        }
        assertThat(shifts.size()).isGreaterThan(15);   // most of the 25 offsets occur
    }

    @Test
    void rotationKeepsTheCentreAndStaysSmall() {
        // Odd sizes have a centre pixel that a rotation about the centre leaves in place.
        float[] x = new float[7 * 7];
        for (int i = 0; i < x.length; i++) x[i] = i;
        float[] y = x.clone();
        new ImageAugmentation(false, 0, 10, 0, 0, 0).applyInPlace(y, 1, new int[] {7, 7}, new Rng(5));
        assertThat(y[24]).isCloseTo(24f, within(1e-4f));
        assertThat(y).isNotEqualTo(x);
        // A 10° rotation moves a pixel 1 step from the centre by well under a pixel.
        assertThat(y[25]).isCloseTo(25f, within(7f * 0.2f + 0.5f));
    }

    @Test
    void brightnessAndContrastStayWithinTheirBounds() {
        int n = 50;
        float[] x = batch(n);
        float[] b = apply(ImageAugmentation.none().withMaxBrightness(0.5), x, n, 11);
        for (int s = 0; s < n; s++) {
            float delta = px(b, s, 0, 0, 0) - px(x, s, 0, 0, 0);
            assertThat(delta).isBetween(-0.5f, 0.5f);
            assertThat(px(b, s, H - 1, W - 1, 1) - px(x, s, H - 1, W - 1, 1)).isCloseTo(delta, within(1e-3f));
        }
        float[] c = apply(ImageAugmentation.none().withMaxContrast(0.2), x, n, 11);
        for (int s = 0; s < n; s++) {
            // The per-channel mean stays; the spread scales by a factor in [0.8, 1.2].
            double factor = (px(c, s, H - 1, W - 1, 0) - px(c, s, 0, 0, 0)) / (double) (px(x, s, H - 1, W - 1, 0) - px(x, s, 0, 0, 0));
            assertThat(factor).isBetween(0.8 - 1e-4, 1.2 + 1e-4);
        }
    }

    @Test
    void theSameSeedGivesTheSameBatchAndAnotherSeedAnother() {
        ImageAugmentation a = ImageAugmentation.cifar().withMaxRotationDegrees(15).withMaxTranslation(0.1).withMaxBrightness(0.1).withMaxContrast(0.1);
        float[] x = batch(8);
        assertThat(apply(a, x, 8, 42)).containsExactly(apply(a, x, 8, 42));
        assertThat(apply(a, x, 8, 42)).isNotEqualTo(apply(a, x, 8, 43));
        assertThatThrownBy(() -> a.applyInPlace(new float[10], 1, new int[] {10}, new Rng(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(H, W) or (H, W, C)");
        assertThatThrownBy(() -> ImageAugmentation.none().withMaxContrast(1.5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anAugmentedDatasetAugmentsTrainingPassesOnlyAndNewlyEachEpoch() {
        int n = 16;
        float[] x = batch(n);
        Dataset plain = new Dataset(x.clone(), new int[] {H, W, C}, new int[n], 1);
        Dataset aug = plain.augmented(ImageAugmentation.none().withCropPadding(2).withHorizontalFlip(true));
        assertThat(aug.augmentation()).isNotNull();
        assertThat(aug.withoutAugmentation().augmentation()).isNull();

        // Evaluation-style passes (no Rng) see the stored samples.
        assertThat(aug.batches(n, false, null).iterator().next().x().toFloatArray()).containsExactly(x);

        Rng rng = new Rng(9);
        Iterable<Batch> epochs = aug.batches(n, false, rng);
        float[] e1 = epochs.iterator().next().x().toFloatArray();
        float[] e2 = epochs.iterator().next().x().toFloatArray();
        assertThat(e1).isNotEqualTo(x);
        assertThat(e2).isNotEqualTo(e1);
        // The stored data is untouched, and the same seed replays the same epochs.
        assertThat(aug.features().toFloatArray()).containsExactly(x);
        Iterable<Batch> again = aug.batches(n, false, new Rng(9));
        assertThat(again.iterator().next().x().toFloatArray()).containsExactly(e1);

        // Derived datasets keep it; a non-augmented dataset's shuffled passes are as before.
        assertThat(aug.slice(0, 4).augmentation()).isSameAs(aug.augmentation());
        List<float[]> a = new ArrayList<>();
        for (Batch b : plain.batches(4, true, new Rng(1))) a.add(b.x().toFloatArray());
        List<float[]> b = new ArrayList<>();
        for (Batch bb : plain.batches(4, true, new Rng(1))) b.add(bb.x().toFloatArray());
        for (int i = 0; i < a.size(); i++) assertThat(Arrays.equals(a.get(i), b.get(i))).isTrue();
    }
}
