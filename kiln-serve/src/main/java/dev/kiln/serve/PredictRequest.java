package dev.kiln.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.kiln.core.Shape;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The body of a predict call, {@code {"instances": [...], "top_k": 3}}, read with Jackson's streaming
 * parser straight into float arrays (no tree of boxed numbers: a Fashion-MNIST instance is 784 of them).
 *
 * <p>Each instance is nested arrays in the model's input shape (a (28, 28) input: 28 arrays of 28 numbers),
 * or one flat array of all its numbers; given the model's {@link RawInputs}, it may also be a string (text for
 * a model that carries its tokenizer) or {@code {"b64": "..."}} (a base64 PNG or JPEG image). Anything else —
 * malformed JSON, NaN or Infinity (not JSON; Jackson refuses them), numbers outside float range, strings the
 * model cannot take, wrong sizes, unknown fields — is a 400 whose message says which instance and what was
 * expected.
 *
 * @param rows each instance flat, row-major in the input shape
 * @param topK the requested number of classes per instance, or null for the server's default
 */
record PredictRequest(float[][] rows, Integer topK) {
    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).maxNumberLength(100).build())
            .build();

    static PredictRequest parse(byte[] body, int[] inputShape, int maxInstances) {
        return parse(body, inputShape, maxInstances, null);
    }

    /**
     * With {@code raw} non-null, an instance may also be a string (text for a model that carries its
     * tokenizer) or {@code {"b64": "..."}} (a base64 PNG or JPEG image), turned into the input by {@code raw}.
     */
    static PredictRequest parse(byte[] body, int[] inputShape, int maxInstances, RawInputs raw) {
        PredictRequest fast = FastInstances.parse(body, inputShape, maxInstances);
        return fast != null ? fast : parseWithJackson(body, inputShape, maxInstances, raw);
    }

    static PredictRequest parseWithJackson(byte[] body, int[] inputShape, int maxInstances) {
        return parseWithJackson(body, inputShape, maxInstances, null);
    }

    /** The general path: every valid form, and the precise message for every invalid one. */
    static PredictRequest parseWithJackson(byte[] body, int[] inputShape, int maxInstances, RawInputs raw) {
        try (JsonParser p = JSON.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw bad("expected a JSON object such as {\"instances\": [[...], ...]}, got " + describe(p.currentToken()));
            }
            float[][] rows = null;
            Integer topK = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "instances" -> rows = instances(p, inputShape, maxInstances, raw);
                    case "top_k" -> {
                        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT) throw bad("\"top_k\" must be a whole number such as 3, got " + describe(p.currentToken()));
                        long k = p.getLongValue();
                        if (k < 1 || k > 1000) throw bad("\"top_k\" must be between 1 and 1000, got " + k);
                        topK = (int) k;
                    }
                    default -> throw bad("unknown field \"" + field + "\"; a predict request has \"instances\" (required) and \"top_k\" (optional)");
                }
            }
            if (p.nextToken() != null) throw bad("unexpected content after the JSON object");
            if (rows == null) throw bad("missing \"instances\": send {\"instances\": [instance, ...]} with each instance shaped " + Shape.str(inputShape));
            return new PredictRequest(rows, topK);
        } catch (JsonProcessingException e) {
            throw bad("malformed JSON: " + e.getOriginalMessage()
                    + (e.getOriginalMessage() != null && e.getOriginalMessage().contains("NaN") ? " (NaN and Infinity are not allowed; send finite numbers)" : ""));
        } catch (IOException e) {
            throw bad("could not read the request body: " + e.getMessage());
        }
    }

    private static float[][] instances(JsonParser p, int[] shape, int maxInstances, RawInputs raw) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) throw bad("\"instances\" must be an array of instances, got " + describe(p.currentToken()));
        int size = Shape.size(shape);
        List<float[]> rows = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (rows.size() == maxInstances) {
                throw bad("too many instances: at most " + maxInstances + " per request; split the request");
            }
            int index = rows.size();
            if (raw != null && p.currentToken() == JsonToken.VALUE_STRING) {
                rows.add(raw.text(p.getText(), index));
                continue;
            }
            if (raw != null && p.currentToken() == JsonToken.START_OBJECT) {
                rows.add(raw.image(b64(p, index), index));
                continue;
            }
            if (p.currentToken() != JsonToken.START_ARRAY) {
                throw bad("instance " + index + ": expected an array shaped " + Shape.str(shape) + ", got " + describe(p.currentToken()));
            }
            float[] row = new float[size];
            JsonToken first = p.nextToken();
            if (shape.length > 1 && first != null && first.isNumeric()) {
                flat(p, row, index, shape);   // the convenience form: all numbers in one array
            } else {
                int end = nested(p, row, 0, 0, shape, index);
                if (end != size) throw bad("instance " + index + ": expected " + size + " numbers, got " + end);
            }
            rows.add(row);
        }
        if (rows.isEmpty()) throw bad("\"instances\" is empty; send at least one instance shaped " + Shape.str(shape));
        return rows.toArray(float[][]::new);
    }

    /** The base64 text of an instance {@code {"b64": "..."}}; the parser stands on its '{'. */
    private static String b64(JsonParser p, int index) throws IOException {
        String value = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            if (!field.equals("b64") || value != null) {
                throw bad("instance " + index + ": an object instance must be {\"b64\": \"<base64 PNG or JPEG>\"}, got " + (value != null ? "a second" : "the field")
                        + " \"" + (field.length() > 40 ? field.substring(0, 40) + "..." : field) + "\"");
            }
            if (t != JsonToken.VALUE_STRING) throw bad("instance " + index + ": \"b64\" must be a string of base64 image bytes, got " + describe(t));
            value = p.getText();
        }
        if (value == null) throw bad("instance " + index + ": an object instance must be {\"b64\": \"<base64 PNG or JPEG>\"}");
        return value;
    }

    /** Reads the numbers of one flat instance; the parser stands on its first element. */
    private static void flat(JsonParser p, float[] row, int index, int[] shape) throws IOException {
        int n = 0;
        for (JsonToken t = p.currentToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (n == row.length) throw bad("instance " + index + ": more than " + row.length + " numbers; the input shape is " + Shape.str(shape));
            row[n] = number(p, index);
            n++;
        }
        if (n != row.length) throw bad("instance " + index + ": " + n + " numbers, expected " + row.length + " (input shape " + Shape.str(shape) + ")");
    }

    /**
     * Reads dimension {@code dim} of an instance into {@code row} from {@code offset}; the parser stands on the
     * first element after the opening bracket. Returns the offset after the last number read.
     */
    private static int nested(JsonParser p, float[] row, int dim, int offset, int[] shape, int index) throws IOException {
        int count = 0;
        for (JsonToken t = p.currentToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (count == shape[dim]) throw bad(where(index, dim) + "more than " + shape[dim] + " elements; the input shape is " + Shape.str(shape));
            if (dim == shape.length - 1) {
                row[offset++] = number(p, index);
            } else {
                if (t != JsonToken.START_ARRAY) {
                    throw bad(where(index, dim) + "expected an array of " + shape[dim + 1] + " at element " + count + ", got " + describe(t)
                            + "; the input shape is " + Shape.str(shape));
                }
                p.nextToken();
                offset = nested(p, row, dim + 1, offset, shape, index);
            }
            count++;
        }
        if (count != shape[dim]) {
            throw bad(where(index, dim) + count + " elements, expected " + shape[dim] + "; the input shape is " + Shape.str(shape));
        }
        return offset;
    }

    private static float number(JsonParser p, int index) throws IOException {
        JsonToken t = p.currentToken();
        if (t == null || !t.isNumeric()) throw bad("instance " + index + ": expected a number, got " + describe(t));
        float v = parseFloat(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
        if (!Float.isFinite(v)) throw bad("instance " + index + ": " + p.getText() + " is outside the float range; inputs must be finite float32 numbers");
        return v;
    }

    private static final float[] POW10 = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};

    /**
     * A JSON number (already validated by Jackson) as the nearest float. Parsing the numbers is most of a
     * predict request's cost (784 per Fashion-MNIST image), so the usual short decimals take Clinger's fast
     * path: a mantissa below 2^24 and a power of ten up to 10 are both exact floats, so one correctly
     * rounded float multiply or divide gives the correctly rounded result. Everything else goes to
     * {@link Float#parseFloat}; {@code PredictRequestTest} checks both paths agree with it bit for bit.
     */
    static float parseFloat(char[] c, int off, int len) {
        int i = off;
        int end = off + len;
        boolean negative = false;
        if (i < end && c[i] == '-') {
            negative = true;
            i++;
        }
        long mantissa = 0;
        int digits = 0;
        int scale = 0;
        for (; i < end && c[i] >= '0' && c[i] <= '9'; i++) {
            mantissa = mantissa * 10 + (c[i] - '0');
            if (mantissa != 0) digits++;
        }
        if (i < end && c[i] == '.') {
            for (i++; i < end && c[i] >= '0' && c[i] <= '9'; i++) {
                mantissa = mantissa * 10 + (c[i] - '0');
                if (mantissa != 0) digits++;
                scale--;
            }
        }
        if (i == end && digits <= 7 && mantissa < (1 << 24) && scale >= -10) {
            float m = mantissa;
            float v = scale == 0 ? m : m / POW10[-scale];
            return negative ? -v : v;
        }
        return Float.parseFloat(new String(c, off, len));
    }

    private static String where(int index, int dim) {
        return "instance " + index + ", axis " + dim + ": ";
    }

    private static String describe(JsonToken t) {
        if (t == null) return "the end of the input";
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            default -> t.asString() == null ? t.name() : t.asString();
        };
    }

    private static ApiException bad(String message) {
        return new ApiException(400, message);
    }
}
