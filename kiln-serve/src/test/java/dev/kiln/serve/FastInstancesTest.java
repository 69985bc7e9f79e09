package dev.kiln.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The fast body reader against its slow twin, the Jackson path: same requests, same floats, and it never decides an error. */
class FastInstancesTest {
    private static final String[] WS = {"", " ", "  ", "\n", "\t", "\r\n "};

    @Test
    void randomPlainBodiesReadTheSameAsWithJacksonAndMostTakeTheFastPath() {
        Random r = new Random(5);
        int fast = 0;
        int n = 3000;
        for (int t = 0; t < n; t++) {
            int[] shape = r.nextBoolean() ? new int[] {4} : new int[] {2, 3};
            int instances = 1 + r.nextInt(4);
            StringBuilder sb = new StringBuilder();
            boolean topKFirst = r.nextInt(4) == 0;
            sb.append(ws(r)).append('{').append(ws(r));
            if (topKFirst) sb.append("\"top_k\"").append(ws(r)).append(':').append(ws(r)).append(1 + r.nextInt(20)).append(ws(r)).append(',').append(ws(r));
            sb.append("\"instances\"").append(ws(r)).append(':').append(ws(r)).append('[');
            for (int k = 0; k < instances; k++) {
                if (k > 0) sb.append(ws(r)).append(',');
                sb.append(ws(r)).append(instance(r, shape));
            }
            sb.append(ws(r)).append(']');
            if (!topKFirst && r.nextBoolean()) sb.append(ws(r)).append(',').append(ws(r)).append("\"top_k\"").append(ws(r)).append(':').append(ws(r)).append(1 + r.nextInt(20));
            sb.append(ws(r)).append('}').append(ws(r));
            byte[] body = sb.toString().getBytes(StandardCharsets.UTF_8);
            PredictRequest slow = PredictRequest.parseWithJackson(body, shape, 1024);
            PredictRequest quick = FastInstances.parse(body, shape, 1024);
            if (quick != null) {
                fast++;
                assertSame(quick, slow, sb.toString());
            }
            assertSame(PredictRequest.parse(body, shape, 1024), slow, sb.toString());
        }
        assertThat(fast).as("bodies read by the fast path").isGreaterThan(n / 2);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"instances\": [[01, 2, 3, 4]]}", "{\"instances\": [[1., 2, 3, 4]]}", "{\"instances\": [[.5, 2, 3, 4]]}",
        "{\"instances\": [[-, 2, 3, 4]]}", "{\"instances\": [[1e5, 2, 3, 4]]}", "{\"instances\": [[1, 2, 3, 4]],}",
        "{\"instances\": [[1, 2, 3, 4],]}", "{\"instances\": [[1, 2, 3, 4, ]]}", "{\"instances\": [[1, 2, 3]]}",
        "{\"instances\": [[1, 2, 3, 4, 5]]}", "{\"instances\": [[1, 2, 3, 4]], \"top_k\": 0}", "{\"instances\": [[1, 2, 3, 4]], \"top_k\": 2.0}",
        "{\"instances\": [[1, 2, 3, 4]], \"top_k\": 01}", "{\"instances\": [[1, 2, 3, 4]], \"extra\": 1}", "{\"inst\\u0061nces\": [[1, 2, 3, 4]]}",
        "{\"instances\": [[1, 2, 3, 4]], \"instances\": [[5, 6, 7, 8]]}", "{\"instances\": []}", "{}", "{\"instances\": [[1, 2, 3, 4]]} x",
        "[[1, 2, 3, 4]]", "{\"instances\": [[1, NaN, 3, 4]]}", "{\"instances\": [[12345678, 2, 3, 4]]}", "{\"instances\": [[0.00000000001, 2, 3, 4]]}",
        "{\"instances\": [[1, 2, 3, 4]] \"top_k\": 1}", "{\"instances\" [[1, 2, 3, 4]]}", "{\"instances\": [[1, 2, 3, 4]], \"top_k\": 3, \"top_k\": 2}"})
    void unusualOrInvalidBodiesAreLeftToJackson(String text) {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        PredictRequest quick = FastInstances.parse(body, new int[] {4}, 1024);
        if (quick == null) return;   // left to Jackson: the usual case for these
        PredictRequest slow = PredictRequest.parseWithJackson(body, new int[] {4}, 1024);   // throws if the fast path accepted invalid input
        assertSame(quick, slow, text);
    }

    @Test
    void tooManyInstancesAreLeftToJackson() {
        assertThat(FastInstances.parse("{\"instances\": [[1, 2], [3, 4], [5, 6]]}".getBytes(StandardCharsets.UTF_8), new int[] {2}, 2)).isNull();
        assertThat(FastInstances.parse("{\"instances\": [[1, 2], [3, 4]]}".getBytes(StandardCharsets.UTF_8), new int[] {2}, 2)).isNotNull();
    }

    private static void assertSame(PredictRequest a, PredictRequest b, String body) {
        assertThat(a.topK()).as(body).isEqualTo(b.topK());
        assertThat(a.rows().length).as(body).isEqualTo(b.rows().length);
        for (int i = 0; i < a.rows().length; i++) {
            int[] x = new int[a.rows()[i].length];
            int[] y = new int[b.rows()[i].length];
            for (int j = 0; j < x.length; j++) x[j] = Float.floatToRawIntBits(a.rows()[i][j]);
            for (int j = 0; j < y.length; j++) y[j] = Float.floatToRawIntBits(b.rows()[i][j]);
            assertThat(Arrays.equals(x, y)).as(body).isTrue();
        }
    }

    private static String ws(Random r) {
        return WS[r.nextInt(WS.length)];
    }

    private static String instance(Random r, int[] shape) {
        boolean flat = shape.length == 1 || r.nextBoolean();
        if (flat) {
            StringBuilder sb = new StringBuilder("[");
            int size = Arrays.stream(shape).reduce(1, (p, q) -> p * q);
            for (int i = 0; i < size; i++) sb.append(i > 0 ? "," + ws(r) : ws(r)).append(number(r));
            return sb.append(ws(r)).append(']').toString();
        }
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape[0]; i++) {
            sb.append(i > 0 ? "," : "").append(ws(r)).append('[');
            for (int j = 0; j < shape[1]; j++) sb.append(j > 0 ? "," : "").append(ws(r)).append(number(r));
            sb.append(ws(r)).append(']');
        }
        return sb.append(ws(r)).append(']').toString();
    }

    /** Mostly plain decimals; sometimes forms only Jackson reads (exponents, many digits). */
    private static String number(Random r) {
        double v = (r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(6) - 2);
        return switch (r.nextInt(100)) {
            case 0 -> String.format(Locale.ROOT, "%.3e", v);
            case 1 -> String.format(Locale.ROOT, "%.12f", v);
            case 2, 3, 4 -> String.format(Locale.ROOT, "%.6f", v);
            case 5, 6, 7 -> Integer.toString(r.nextInt(2000) - 1000);
            case 8 -> "0";
            case 9 -> "-0.0";
            default -> String.format(Locale.ROOT, "%." + r.nextInt(4) + "f", v);
        };
    }
}
