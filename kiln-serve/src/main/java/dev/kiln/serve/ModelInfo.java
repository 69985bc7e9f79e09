package dev.kiln.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON bodies the server answers: model listings, model details, predictions. Stateless. */
final class ModelInfo {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonFactory JSON = MAPPER.getFactory();

    private ModelInfo() {}

    /** {@code {"models": [{"name", "versions", "latest_version"}]}} */
    static Map<String, Object> list(ModelRegistry registry) {
        List<Object> models = new ArrayList<>();
        for (String name : registry.names()) {
            List<ModelRegistry.Served> versions = registry.versions(name);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("versions", versions.stream().map(ModelRegistry.Served::version).toList());
            m.put("latest_version", versions.getLast().version());
            models.add(m);
        }
        return Map.of("models", models);
    }

    /** Every loaded version with its shapes, classes and provenance, and any refused file with its reason. */
    static Map<String, Object> describe(ModelRegistry registry, String name) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        List<Object> versions = new ArrayList<>();
        for (ModelRegistry.Served s : registry.versions(name)) {
            Predictor p = s.predictor();
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("version", s.version());
            v.put("state", "AVAILABLE");
            v.put("input_shape", p.inputShape());
            v.put("output_shape", p.outputShape());
            List<String> accepts = new ArrayList<>(List.of("numbers"));
            if (p.rawInputs().takesText()) accepts.add("text");
            if (p.rawInputs().takesImages()) accepts.add("b64_image");
            v.put("accepts", accepts);
            v.put("classifier", p.isClassifier());
            if (p.isClassifier()) v.put("class_names", p.classNames());
            v.put("loss", p.model().loss() == null ? null : p.model().loss().keras());
            v.put("parameters", p.model().parameterCount());
            v.put("loaded_at", s.loadedAt().toString());
            v.put("load_seconds", s.loadNanos() / 1e9);
            v.put("provenance", p.model().provenance());
            versions.add(v);
        }
        m.put("versions", versions);
        List<Object> refused = new ArrayList<>();
        for (ModelRegistry.Refused r : registry.refusals(name)) refused.add(Map.of("version", r.version(), "reason", r.reason()));
        m.put("refused", refused);
        return m;
    }

    /**
     * {@code {"model", "version", "predictions": [...]}}: for a classifier each prediction is the best class
     * ({@code label}, {@code class_id}, {@code probability}) plus {@code top_k} of them; otherwise the raw
     * {@code outputs}, flat in the model's output shape.
     */
    static byte[] predictions(ModelRegistry.Served served, float[][] outputs, int topK) {
        Predictor p = served.predictor();
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + outputs.length * 96 * Math.min(topK, 10));
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("model", served.name());
            g.writeNumberField("version", served.version());
            g.writeArrayFieldStart("predictions");
            for (float[] row : outputs) {
                g.writeStartObject();
                if (p.isClassifier()) {
                    Predictor.Classification c = p.classify(row, topK);
                    Predictor.ClassScore best = c.best();
                    g.writeStringField("label", best.label());
                    g.writeNumberField("class_id", best.classId());
                    g.writeNumberField("probability", best.probability());
                    g.writeArrayFieldStart("top_k");
                    for (Predictor.ClassScore s : c.top()) {
                        g.writeStartObject();
                        g.writeStringField("label", s.label());
                        g.writeNumberField("class_id", s.classId());
                        g.writeNumberField("probability", s.probability());
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                } else {
                    g.writeArrayFieldStart("outputs");
                    for (float x : row) g.writeNumber(x);
                    g.writeEndArray();
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
