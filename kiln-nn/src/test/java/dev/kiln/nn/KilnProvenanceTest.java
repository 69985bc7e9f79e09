package dev.kiln.nn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.data.Dataset;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KilnProvenanceTest {

    /** The documented encoding, written out one value at a time: features as little-endian float32, then labels. */
    private static String reference(float[] features, int[] labels) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        for (float v : features) out.writeInt(Integer.reverseBytes(Float.floatToRawIntBits(v)));
        for (int l : labels) out.writeInt(Integer.reverseBytes(l));
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.toByteArray()));
    }

    // Sample counts (4 floats each) on both sides of the 64 KB copies (16,384 floats = 4,096 samples).
    @ParameterizedTest
    @ValueSource(ints = {0, 3, 4095, 4096, 4097, 40_000})
    void hashIsSha256OfLittleEndianFeaturesThenLabels(int samples) throws Exception {
        SplittableRandom r = new SplittableRandom(samples);
        float[] x = new float[samples * 4];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        if (x.length > 1) x[1] = Float.intBitsToFloat(0x7fc00123);   // a NaN payload is hashed as its raw bits
        int[] y = new int[samples];
        for (int i = 0; i < y.length; i++) y[i] = r.nextInt(3);
        Dataset data = new Dataset(x, new int[] {4}, y, 3);

        assertThat(Kiln.sha256(data)).isEqualTo(reference(x, y));
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 20_000})
    void oneChangedLabelOrFeatureChangesTheHash(int at) {
        float[] x = new float[40_000];
        int[] y = new int[40_000];
        String base = Kiln.sha256(new Dataset(x.clone(), new int[] {1}, y.clone(), 2));
        int[] y2 = y.clone();
        y2[at] = 1;
        float[] x2 = x.clone();
        x2[at] = -0.0f;   // equal to 0.0f as a number, not as data
        assertThat(Kiln.sha256(new Dataset(x.clone(), new int[] {1}, y2, 2))).isNotEqualTo(base);
        assertThat(Kiln.sha256(new Dataset(x2, new int[] {1}, y.clone(), 2))).isNotEqualTo(base);
    }
}
