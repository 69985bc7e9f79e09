package dev.kiln.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.nn.Model;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every endpoint and every bad request over real HTTP on loopback. */
class ModelServerTest {
    static final String GOOD = "{\"instances\": [[0.1, 2.2, -0.3, 0.4]]}";

    @TempDir
    Path models;

    Model classifier;
    ModelServer server;
    Http http;

    @BeforeEach
    void start() throws Exception {
        classifier = TestModels.classifier(1);
        TestModels.saveVersion(models, "animals", 1, classifier);
        TestModels.saveVersion(models, "reg", 1, TestModels.regressor());
        // A long poll interval: the tests trigger scans through the admin endpoint, so nothing races them.
        server = ModelServer.start(ServerConfig.of(models, List.of()).withPollInterval(Duration.ofMinutes(10)).withMaxBodyBytes(64 * 1024));
        http = new Http(server.port());
    }

    @AfterEach
    void stop() {
        if (http != null) http.close();
        if (server != null) server.close();
    }

    @Test
    void predictsClassLabelsWithSoftmaxProbabilities() throws Exception {
        HttpResponse<String> r = http.post("/v1/models/animals:predict", "{\"instances\": [[0.1, 2.2, -0.3, 0.4], [2.1, 0, 0.1, 0]], \"top_k\": 2}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        JsonNode body = Http.json(r);
        assertThat(body.get("model").asText()).isEqualTo("animals");
        assertThat(body.get("version").asLong()).isEqualTo(1);
        JsonNode preds = body.get("predictions");
        assertThat(preds).hasSize(2);
        Predictor local = new Predictor(classifier);
        float[][] out = local.predict(new float[][] {{0.1f, 2.2f, -0.3f, 0.4f}, {2.1f, 0, 0.1f, 0}});
        for (int i = 0; i < 2; i++) {
            Predictor.Classification c = local.classify(out[i], 2);
            assertThat(preds.get(i).get("label").asText()).isEqualTo(c.best().label());
            assertThat(preds.get(i).get("class_id").asInt()).isEqualTo(c.best().classId());
            assertThat((float) preds.get(i).get("probability").asDouble()).isEqualTo(c.best().probability());
            assertThat(preds.get(i).get("top_k")).hasSize(2);
        }
        assertThat(preds.get(0).get("label").asText()).isEqualTo("dog");
        assertThat(preds.get(1).get("label").asText()).isEqualTo("cat");
        // The default top-k is 3; a versioned path answers the same.
        JsonNode v = Http.json(http.post("/v1/models/animals/versions/1:predict", GOOD));
        assertThat(v.get("predictions").get(0).get("top_k")).hasSize(3);
        double sum = 0;
        for (JsonNode s : v.get("predictions").get(0).get("top_k")) sum += s.get("probability").asDouble();
        assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
    }

    @Test
    void acceptsNestedInstancesInTheInputShapeOrFlatOnesAndAnswersRawOutputsForRegressors() throws Exception {
        HttpResponse<String> nested = http.post("/v1/models/reg:predict", "{\"instances\": [[[1,2,3],[4,5,6]]]}");
        HttpResponse<String> flat = http.post("/v1/models/reg:predict", "{\"instances\": [[1,2,3,4,5,6]]}");
        assertThat(nested.statusCode()).as(nested.body()).isEqualTo(200);
        assertThat(flat.body()).isEqualTo(nested.body());
        JsonNode outputs = Http.json(nested).get("predictions").get(0).get("outputs");
        assertThat(outputs).hasSize(2);
        Model reg = Model.load(models.resolve("reg/1/model.kiln"));
        float[] expected = new Predictor(reg).predict(new float[][] {{1, 2, 3, 4, 5, 6}})[0];
        assertThat((float) outputs.get(0).asDouble()).isEqualTo(expected[0]);
        assertThat((float) outputs.get(1).asDouble()).isEqualTo(expected[1]);
    }

    @Test
    void listsAndDescribesModels() throws Exception {
        JsonNode list = Http.json(http.get("/v1/models"));
        assertThat(list.get("models")).hasSize(2);
        assertThat(list.get("models").get(0).get("name").asText()).isEqualTo("animals");
        assertThat(list.get("models").get(0).get("latest_version").asLong()).isEqualTo(1);

        HttpResponse<String> r = http.get("/v1/models/animals");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode v = Http.json(r).get("versions").get(0);
        assertThat(v.get("input_shape").toString()).isEqualTo("[4]");
        assertThat(v.get("output_shape").toString()).isEqualTo("[3]");
        assertThat(v.get("classifier").asBoolean()).isTrue();
        assertThat(v.get("class_names").toString()).isEqualTo("[\"cat\",\"dog\",\"bird\"]");
        assertThat(v.get("loss").asText()).isEqualTo("sparse_categorical_crossentropy_from_logits");
        assertThat(v.get("provenance").get("kiln_version").asText()).isNotBlank();
        assertThat(v.get("parameters").asLong()).isEqualTo(4 * 8 + 8 + 8 * 3 + 3);
    }

    @Test
    void healthMetricsAndOpenApi() throws Exception {
        assertThat(http.get("/health/live").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = http.get("/health/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(Http.json(ready).get("status").asText()).isEqualTo("ready");

        http.post("/v1/models/animals:predict", GOOD);
        http.post("/v1/models/nope:predict", GOOD);
        HttpResponse<String> m = http.get("/metrics");
        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(m.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
        assertThat(m.body())
                .contains("kiln_requests_total{route=\"predict\",code=\"200\"} 1")
                .contains("kiln_request_errors_total{route=\"predict\",code=\"404\"} 1")
                .contains("kiln_request_duration_seconds_bucket{route=\"predict\",le=\"+Inf\"} 2")
                .contains("kiln_batch_size_count{model=\"animals\",version=\"1\"} 1")
                .contains("kiln_predictions_total{model=\"animals\",version=\"1\"} 1")
                .contains("kiln_queue_depth{model=\"animals\",version=\"1\"} 0")
                .contains("kiln_model_load_seconds{model=\"animals\",version=\"1\"}")
                .contains("# TYPE kiln_request_duration_seconds histogram");

        JsonNode api = Http.json(http.get("/openapi.json"));
        assertThat(api.get("openapi").asText()).startsWith("3.");
        assertThat(api.get("paths").has("/v1/models/{name}:predict")).isTrue();
        assertThat(api.get("paths").has("/v1/models/{name}/versions/{version}:predict")).isTrue();
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                Arguments.of("malformed JSON", "{\"instances\": [[1, 2, 3, 4]", 400, "malformed JSON"),
                Arguments.of("not JSON at all", "hello", 400, "malformed JSON"),
                Arguments.of("an array, not an object", "[[1, 2, 3, 4]]", 400, "expected a JSON object"),
                Arguments.of("no instances", "{\"top_k\": 2}", 400, "missing \\\"instances\\\""),
                Arguments.of("empty instances", "{\"instances\": []}", 400, "is empty"),
                Arguments.of("instances not an array", "{\"instances\": 5}", 400, "must be an array"),
                Arguments.of("too few numbers", "{\"instances\": [[1, 2, 3]]}", 400, "expected 4"),
                Arguments.of("too many numbers", "{\"instances\": [[1, 2, 3, 4, 5]]}", 400, "more than 4"),
                Arguments.of("one instance too deep", "{\"instances\": [[[1, 2, 3, 4]]]}", 400, "expected a number, got an array"),
                Arguments.of("a string", "{\"instances\": [[1, \"2\", 3, 4]]}", 400, "expected a number, got a string"),
                Arguments.of("null", "{\"instances\": [[1, null, 3, 4]]}", 400, "got null"),
                Arguments.of("an instance that is a number", "{\"instances\": [1, 2, 3, 4]}", 400, "instance 0: expected an array"),
                Arguments.of("NaN", "{\"instances\": [[1, NaN, 3, 4]]}", 400, "NaN"),
                Arguments.of("Infinity", "{\"instances\": [[1, Infinity, 3, 4]]}", 400, "malformed JSON"),
                Arguments.of("-Infinity", "{\"instances\": [[1, -Infinity, 3, 4]]}", 400, "malformed JSON"),
                Arguments.of("beyond float range", "{\"instances\": [[1, 1e39, 3, 4]]}", 400, "outside the float range"),
                Arguments.of("unknown field", "{\"instances\": [[1, 2, 3, 4]], \"extra\": 1}", 400, "unknown field \\\"extra\\\""),
                Arguments.of("top_k zero", "{\"instances\": [[1, 2, 3, 4]], \"top_k\": 0}", 400, "top_k"),
                Arguments.of("top_k text", "{\"instances\": [[1, 2, 3, 4]], \"top_k\": \"3\"}", 400, "whole number"),
                Arguments.of("trailing content", "{\"instances\": [[1, 2, 3, 4]]} {}", 400, "after the JSON object"),
                Arguments.of("empty body", "", 400, "empty"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badPredictBodiesGetAClearJsonErrorAndTheServerKeepsWorking(String what, String body, int status, String message) throws Exception {
        HttpResponse<String> r = http.post("/v1/models/animals:predict", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode error = Http.json(r).get("error");
        assertThat(error.get("code").asInt()).isEqualTo(status);
        assertThat(r.body()).contains(message).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(http.post("/v1/models/animals:predict", GOOD).statusCode()).isEqualTo(200);
    }

    @Test
    void wrongShapeForANestedInputNamesTheAxis() throws Exception {
        HttpResponse<String> r = http.post("/v1/models/reg:predict", "{\"instances\": [[[1,2,3],[4,5]]]}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(Http.json(r).get("error").get("message").asText()).contains("instance 0, axis 1").contains("(2, 3)");
        r = http.post("/v1/models/reg:predict", "{\"instances\": [[[1,2,3],[4,5,6],[7,8,9]]]}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("more than 2 elements");
    }

    @Test
    void tooManyInstancesOversizedBodiesAndWrongContentTypesAreRefused() throws Exception {
        String many = "{\"instances\": [" + String.join(",", java.util.Collections.nCopies(1025, "[1,2,3,4]")) + "]}";
        HttpResponse<String> r = http.post("/v1/models/animals:predict", many);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("at most 1024");

        String huge = "{\"instances\": [" + String.join(",", java.util.Collections.nCopies(20_000, "[1,2,3,4]")) + "]}";
        r = http.post("/v1/models/animals:predict", huge);
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(Http.json(r).get("error").get("message").asText()).contains("at most 65536 bytes");

        r = http.post("/v1/models/animals:predict", GOOD, "Content-Type", "text/csv");
        assertThat(r.statusCode()).isEqualTo(415);
        // curl -d sends a form content type; the body is still JSON, so it is answered.
        assertThat(http.post("/v1/models/animals:predict", GOOD, "Content-Type", "application/x-www-form-urlencoded").statusCode()).isEqualTo(200);
        assertThat(http.post("/v1/models/animals:predict", GOOD).statusCode()).isEqualTo(200);
    }

    @Test
    void unknownModelsVersionsPathsAndMethods() throws Exception {
        HttpResponse<String> r = http.post("/v1/models/nope:predict", GOOD);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(Http.json(r).get("error").get("message").asText()).contains("unknown model 'nope'").contains("animals");
        r = http.post("/v1/models/animals/versions/7:predict", GOOD);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).contains("no version 7").contains("[1]");
        assertThat(http.post("/v1/models/animals/versions/x:predict", GOOD).statusCode()).isEqualTo(404);
        assertThat(http.post("/v1/models/..%2F..%2Fetc:predict", GOOD).statusCode()).isEqualTo(404);
        assertThat(http.get("/v1/models/nope").statusCode()).isEqualTo(404);
        assertThat(http.get("/nothing/here").statusCode()).isEqualTo(404);
        r = http.get("/v1/models/animals:predict");
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("allow")).hasValue("POST");
        assertThat(http.post("/v1/models", "{}").statusCode()).isEqualTo(405);
        assertThat(http.post("/v1/models/animals:predict", GOOD).statusCode()).isEqualTo(200);
    }

    @Test
    void aNewVersionIsServedAfterAScanAndTheOldOneStillAnswersByNumber() throws Exception {
        Model v2 = TestModels.classifier(99);
        TestModels.saveVersion(models, "animals", 2, v2);
        assertThat(http.post("/v1/admin/reload", "").statusCode()).isEqualTo(200);
        JsonNode latest = Http.json(http.post("/v1/models/animals:predict", GOOD));
        assertThat(latest.get("version").asLong()).isEqualTo(2);
        float expected = new Predictor(v2).classify(new Predictor(v2).predict(new float[][] {{0.1f, 2.2f, -0.3f, 0.4f}})[0], 1).best().probability();
        assertThat((float) latest.get("predictions").get(0).get("probability").asDouble()).isEqualTo(expected);
        assertThat(Http.json(http.post("/v1/models/animals/versions/1:predict", GOOD)).get("version").asLong()).isEqualTo(1);
        assertThat(Http.json(http.get("/v1/models")).get("models").get(0).get("versions").toString()).isEqualTo("[1,2]");

        // A removed version is unloaded.
        Files.delete(models.resolve("animals/1/model.kiln"));
        server.reload();
        assertThat(http.post("/v1/models/animals/versions/1:predict", GOOD).statusCode()).isEqualTo(404);
        assertThat(http.post("/v1/models/animals:predict", GOOD).statusCode()).isEqualTo(200);
    }

    @Test
    void aBrokenNewVersionIsRefusedWithItsReasonAndTheOldOneKeepsAnswering() throws Exception {
        Path bad = models.resolve("animals/2/model.kiln");
        Files.createDirectories(bad.getParent());
        byte[] good = Files.readAllBytes(models.resolve("animals/1/model.kiln"));
        Files.write(bad, java.util.Arrays.copyOf(good, good.length / 2));   // truncated, as by a copy cut short
        server.reload();
        assertThat(Http.json(http.post("/v1/models/animals:predict", GOOD)).get("version").asLong()).isEqualTo(1);
        JsonNode refused = Http.json(http.get("/v1/models/animals")).get("refused");
        assertThat(refused).hasSize(1);
        assertThat(refused.get(0).get("version").asLong()).isEqualTo(2);
        assertThat(refused.get(0).get("reason").asText()).isNotBlank().doesNotContain(models.toString());
        assertThat(http.get("/metrics").body()).contains("kiln_model_load_failures_total 1");

        // Once the file is complete it is loaded.
        TestModels.saveVersion(models, "animals", 2, TestModels.classifier(5));
        server.reload();
        assertThat(Http.json(http.post("/v1/models/animals:predict", GOOD)).get("version").asLong()).isEqualTo(2);
        assertThat(Http.json(http.get("/v1/models/animals")).get("refused")).isEmpty();

        // Garbage that is not a model at all never replaces a working version either.
        Files.writeString(models.resolve("animals/2/model.kiln"), "{\"not\": \"a model\"}");
        server.reload();
        assertThat(Http.json(http.post("/v1/models/animals:predict", GOOD)).get("version").asLong()).isEqualTo(2);
        assertThat(http.get("/metrics").body()).contains("kiln_model_load_failures_total 2");
    }

    @Test
    void aLinkOutOfTheModelsFolderIsRefused(@TempDir Path elsewhere) throws Exception {
        Path outside = TestModels.saveVersion(elsewhere, "x", 1, TestModels.classifier(4));
        Path link = models.resolve("sneaky/1/model.kiln");
        Files.createDirectories(link.getParent());
        Files.createSymbolicLink(link, outside);
        server.reload();
        assertThat(http.post("/v1/models/sneaky:predict", GOOD).statusCode()).isEqualTo(404);
        assertThat(Http.json(http.get("/v1/models")).get("models")).hasSize(2);
    }

    @Test
    void thePollerPicksUpANewVersionWithoutAnyCall() throws Exception {
        server.close();
        server = ModelServer.start(ServerConfig.of(models, List.of()).withPollInterval(Duration.ofMillis(50)));
        http.close();
        http = new Http(server.port());
        TestModels.saveVersion(models, "animals", 3, TestModels.classifier(8));
        long version = 0;
        for (int i = 0; i < 200 && version != 3; i++) {   // bounded: 200 x 50 ms
            Thread.sleep(50);
            version = Http.json(http.post("/v1/models/animals:predict", GOOD)).get("version").asLong();
        }
        assertThat(version).isEqualTo(3);
    }

    @Test
    void singleFilesAreServedUnderTheirFileName(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("fashion-mlp.kiln");
        classifier.save(file);
        try (ModelServer s = ModelServer.start(ServerConfig.of(null, List.of(file)));
             Http h = new Http(s.port())) {
            HttpResponse<String> r = h.post("/v1/models/fashion-mlp:predict", GOOD);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(Http.json(r).get("predictions").get(0).get("label").asText()).isEqualTo("dog");
        }
    }

    @Test
    void anEmptyModelsFolderIsLiveButNotReady(@TempDir Path empty) throws Exception {
        try (ModelServer s = ModelServer.start(ServerConfig.of(empty, List.of()));
             Http h = new Http(s.port())) {
            assertThat(h.get("/health/live").statusCode()).isEqualTo(200);
            assertThat(h.get("/health/ready").statusCode()).isEqualTo(503);
        }
    }

    @Test
    void closingDrainsAndStopsAnswering() throws Exception {
        int port = server.port();
        assertThat(http.post("/v1/models/animals:predict", GOOD).statusCode()).isEqualTo(200);
        server.close();
        assertThat(server.inFlight()).isZero();
        server = null;
        try {
            HttpResponse<String> r = http.get("/health/live");
            assertThat(r.statusCode()).as("port " + port + " still answers").isNotEqualTo(200);
        } catch (java.io.IOException expected) {
            // connection refused: the listener is gone
        }
    }
}
