package dev.kiln.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.core.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A reference fixture produced by {@code tools/reference/make_fixtures.py} (PyTorch).
 *
 * <p>The JSON format is {@code {"name", "description", "torch_version", "meta": {...},
 * "tensors": {"<name>": {"shape": [...], "data": [flat row-major floats]}}}}. Scalars have shape
 * {@code []} and one data value; integer label arrays are stored as floats (read them with
 * {@link #ints}). Dense kernels follow the Keras layout {@code (in, out)}.
 *
 * <pre>{@code
 * Fixture f = Fixture.load("reference/dense_relu.json");
 * Tensor x = f.tensor("x");
 * }</pre>
 */
public final class Fixture {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final JsonNode root;
    private final JsonNode tensors;

    private Fixture(JsonNode root) {
        this.root = root;
        this.tensors = root.path("tensors");
    }

    /** Loads a fixture from the classpath, e.g. {@code "reference/dense_relu.json"}. */
    public static Fixture load(String resource) {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        InputStream in = context == null ? null : context.getResourceAsStream(resource);
        if (in == null) {
            in = Fixture.class.getClassLoader().getResourceAsStream(resource);
        }
        if (in == null) {
            throw new IllegalArgumentException("fixture not found on classpath: " + resource);
        }
        return read(in, resource);
    }

    /** Loads a fixture from a file. */
    public static Fixture load(Path file) {
        try {
            return read(Files.newInputStream(file), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open fixture " + file, e);
        }
    }

    private static Fixture read(InputStream in, String what) {
        try (InputStream stream = in) {
            return new Fixture(MAPPER.readTree(stream));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read fixture " + what, e);
        }
    }

    /** The fixture's name (the file name without {@code .json}). */
    public String name() {
        return root.path("name").asText();
    }

    /** A numeric meta value, e.g. {@code meta("lr")}. */
    public double meta(String key) {
        JsonNode v = metaNode(key);
        if (!v.isNumber()) {
            throw new IllegalArgumentException("meta \"" + key + "\" is not a number: " + v);
        }
        return v.asDouble();
    }

    /** A meta value as text (strings, and numbers or booleans in their JSON spelling). */
    public String metaString(String key) {
        return metaNode(key).asText();
    }

    /** Whether the fixture holds a tensor of this name. */
    public boolean has(String tensorName) {
        return tensors.has(tensorName);
    }

    /** The tensor's values, flat in row-major order. */
    public float[] data(String name) {
        JsonNode d = entry(name).path("data");
        float[] out = new float[d.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) d.get(i).asDouble();
        }
        return out;
    }

    /** The tensor's shape; {@code []} for a scalar. */
    public int[] shape(String name) {
        JsonNode s = entry(name).path("shape");
        int[] out = new int[s.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = s.get(i).asInt();
        }
        return out;
    }

    /** The tensor's values as integers (labels); every value must be integral. */
    public int[] ints(String name) {
        JsonNode d = entry(name).path("data");
        int[] out = new int[d.size()];
        for (int i = 0; i < out.length; i++) {
            double v = d.get(i).asDouble();
            if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("tensor \"" + name + "\" is not integral at " + i + ": " + v);
            }
            out[i] = (int) v;
        }
        return out;
    }

    /** The tensor as a Kiln {@link Tensor}. */
    public Tensor tensor(String name) {
        return Tensor.of(data(name), shape(name));
    }

    private JsonNode entry(String name) {
        JsonNode e = tensors.get(name);
        if (e == null) {
            List<String> names = new ArrayList<>();
            tensors.fieldNames().forEachRemaining(names::add);
            throw new IllegalArgumentException("fixture \"" + name() + "\" has no tensor \"" + name + "\"; available: " + names);
        }
        return e;
    }

    private JsonNode metaNode(String key) {
        JsonNode v = root.path("meta").get(key);
        if (v == null) {
            throw new IllegalArgumentException("fixture \"" + name() + "\" has no meta \"" + key + "\"");
        }
        return v;
    }
}
