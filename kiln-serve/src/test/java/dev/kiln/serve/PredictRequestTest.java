package dev.kiln.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fast number path against its slow twin, {@link Float#parseFloat}, bit for bit. */
class PredictRequestTest {
    @ParameterizedTest
    @ValueSource(strings = {"0", "-0", "1", "-1", "0.5", "0.1", "0.123", "-0.001", "16777215", "16777216", "16777217", "123456789",
            "0.0000000001", "0.00000000001", "3.4028235e38", "1e-45", "1.5E3", "2e0", "0.30000001192092896", "9999999", "1234567.8",
            "0.0000001", "100.25", "-65504.125"})
    void edgeCasesMatchFloatParseFloat(String s) {
        assertThat(Float.floatToRawIntBits(PredictRequest.parseFloat(s.toCharArray(), 0, s.length())))
                .as(s).isEqualTo(Float.floatToRawIntBits(Float.parseFloat(s)));
    }

    @Test
    void randomDecimalsMatchFloatParseFloat() {
        Random r = new Random(42);
        for (int i = 0; i < 50_000; i++) {
            int decimals = r.nextInt(12);
            double v = (r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(12) - 4);
            String s = String.format(Locale.ROOT, "%." + decimals + "f", v);
            String padded = "[" + s + "]";   // an offset into a larger buffer, as Jackson hands it over
            float got = PredictRequest.parseFloat(padded.toCharArray(), 1, s.length());
            assertThat(Float.floatToRawIntBits(got)).as(s).isEqualTo(Float.floatToRawIntBits(Float.parseFloat(s)));
        }
    }

    @Test
    void parsesNestedAndFlatInstancesInRowMajorOrder() {
        PredictRequest r = PredictRequest.parse("{\"instances\": [[[1, 2.5, -3], [4e1, 5, 6]], [1,2,3,4,5,6]], \"top_k\": 2}".getBytes(), new int[] {2, 3}, 10);
        assertThat(r.rows()[0]).containsExactly(1, 2.5f, -3, 40, 5, 6);
        assertThat(r.rows()[1]).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(r.topK()).isEqualTo(2);
    }
}
