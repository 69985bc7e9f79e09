package dev.kiln.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real data: the subset shipped in the jar always, and Debian's full files where
 * {@code dataset-fashion-mnist} is installed (skipped elsewhere).
 */
class FashionMnistDataTest {
    private static final Path DEBIAN = DataSource.DEBIAN_DATASETS.resolve("fashion-mnist");
    private static TrainTest subset;
    private static TrainTest debian;   // loaded once, by the first test that needs it

    @BeforeAll
    static void loadSubset() {
        subset = FashionMnist.subset();
    }

    /** Debian's files only, whatever KILN_DATA says. */
    private static TrainTest debian() {
        assumeTrue(Files.isDirectory(DEBIAN), "dataset-fashion-mnist is not installed");
        if (debian == null) debian = FashionMnist.load(new DataSource(null, null, DataSource.DEBIAN_DATASETS, null, false, null));
        return debian;
    }

    @Test
    void subsetIsClassBalancedShuffledAndScaled() {
        assertThat(subset.train().size()).isEqualTo(6000);
        assertThat(subset.test().size()).isEqualTo(1000);
        int[] trainCounts = new int[10];
        int[] testCounts = new int[10];
        Arrays.fill(trainCounts, 600);
        Arrays.fill(testCounts, 100);
        assertThat(subset.train().classCounts()).containsExactly(trainCounts);
        assertThat(subset.test().classCounts()).containsExactly(testCounts);
        for (Dataset d : List.of(subset.train(), subset.test())) {
            assertThat(d.sampleShape()).containsExactly(28, 28);
            assertThat(d.classNames()).isEqualTo(FashionMnist.CLASS_NAMES);
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float v : d.features().toFloatArray()) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            assertThat(min).isZero();
            assertThat(max).isEqualTo(1f);
            Set<Integer> firstLabels = new HashSet<>();
            for (int i = 0; i < 30; i++) firstLabels.add(d.label(i));
            assertThat(firstLabels).as("classes interleaved, not sorted").hasSizeGreaterThan(5);
        }
    }

    @Test
    void subsetFilesAreSmallAndLicensed() throws IOException, URISyntaxException {
        Path folder = Path.of(FashionMnistDataTest.class.getResource(FashionMnist.SUBSET_RESOURCES + "/LICENSE").toURI()).getParent();
        long total = 0;
        for (String f : MnistFamily.FILES) total += Files.size(folder.resolve(f + ".gz"));
        assertThat(total).isLessThan(3L << 20);
        assertThat(Files.readString(folder.resolve("LICENSE"))).contains("MIT", "Zalando SE");
        assertThat(Files.readString(folder.resolve("README.md"))).contains("subset");
    }

    @Test
    void fullDebianSetLoads() {
        TrainTest full = debian();
        assertThat(full.train().size()).isEqualTo(60_000);
        assertThat(full.test().size()).isEqualTo(10_000);
        int[] counts = new int[10];
        Arrays.fill(counts, 6000);
        assertThat(full.train().classCounts()).containsExactly(counts);
        Arrays.fill(counts, 1000);
        assertThat(full.test().classCounts()).containsExactly(counts);
        // Published facts about the first test item: an ankle boot.
        assertThat(full.test().label(0)).isEqualTo(9);
        assertThat(full.train().label(0)).isEqualTo(9);
        assertThat(full.train().sampleShape()).containsExactly(28, 28);
    }

    @Test
    void everySubsetImageIsInTheFullSetWithItsLabel() {
        TrainTest full = debian();
        checkDrawnFrom(subset.train(), full.train());
        checkDrawnFrom(subset.test(), full.test());
    }

    private static void checkDrawnFrom(Dataset part, Dataset whole) {
        float[] w = whole.features().toFloatArray();
        Map<Integer, List<Integer>> byHash = new HashMap<>();
        for (int i = 0; i < whole.size(); i++) {
            byHash.computeIfAbsent(Arrays.hashCode(Arrays.copyOfRange(w, i * 784, (i + 1) * 784)), k -> new ArrayList<>()).add(i);
        }
        float[] p = part.features().toFloatArray();
        Set<Integer> used = new HashSet<>();
        for (int i = 0; i < part.size(); i++) {
            float[] img = Arrays.copyOfRange(p, i * 784, (i + 1) * 784);
            Integer match = null;
            for (int j : byHash.getOrDefault(Arrays.hashCode(img), List.of())) {
                if (!used.contains(j) && whole.label(j) == part.label(i)
                        && Arrays.equals(img, Arrays.copyOfRange(w, j * 784, (j + 1) * 784))) {
                    match = j;
                    break;
                }
            }
            assertThat(match).as("subset image %d (label %d) in the full set", i, part.label(i)).isNotNull();
            used.add(match);
        }
    }
}
