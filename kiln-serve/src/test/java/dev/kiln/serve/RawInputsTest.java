package dev.kiln.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.data.image.ImageOptions;
import dev.kiln.data.image.Images;
import dev.kiln.data.text.Sequences;
import dev.kiln.data.text.Tokenizer;
import dev.kiln.data.text.WordTokenizer;
import dev.kiln.nn.Model;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Embedding;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Raw strings (text models saved with their tokenizer) and base64 images as predict instances, over real HTTP on loopback. */
class RawInputsTest {
    static final int MAX_LEN = 8;

    @TempDir
    Path models;

    WordTokenizer tokenizer;
    Model text;
    Model grey;
    Model rgb;
    ModelServer server;
    Http http;

    @BeforeEach
    void start() throws Exception {
        tokenizer = WordTokenizer.fit(List.of("win a free prize now", "meeting notes for monday", "free money click here"), WordTokenizer.Config.of(50));
        // Embedding → Flatten → Dense, saved with its tokenizer the way the trainers and examples do it.
        text = new Sequential(new Embedding(50, 4), new Flatten(), new Dense(2)).seed(1).build(MAX_LEN);
        text.compile(new Adam(0.01), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS);
        text.preprocessing(tokenizer.toJson());
        TestModels.saveVersion(models, "spam", 1, text);
        grey = new Sequential(new Flatten(), new Dense(3)).seed(2).build(8, 8, 1);
        grey.compile(new Adam(0.01), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS);
        TestModels.saveVersion(models, "digits", 1, grey);
        rgb = new Sequential(new Flatten(), new Dense(2)).seed(3).build(4, 4, 3);
        TestModels.saveVersion(models, "colours", 1, rgb);
        TestModels.saveVersion(models, "animals", 1, TestModels.classifier(1));
        TestModels.saveVersion(models, "plain", 1, new Sequential(new Dense(2)).seed(4).build(5));
        server = ModelServer.start(ServerConfig.of(models, List.of()).withPollInterval(Duration.ofMinutes(10)).withMaxBodyBytes(256 * 1024));
        http = new Http(server.port());
    }

    @AfterEach
    void stop() {
        if (http != null) http.close();
        if (server != null) server.close();
    }

    /** What {@code kiln predict} feeds the model for a message: Keras's pre padding and pre truncation. */
    private float[] encoded(String message) {
        return Sequences.padToFloats(List.of(tokenizer.encode(message)), MAX_LEN, Sequences.Padding.PRE, Sequences.Truncating.PRE, Tokenizer.PAD);
    }

    private static void assertSamePrediction(JsonNode prediction, Predictor local, float[] input) {
        Predictor.Classification c = local.classify(local.predict(new float[][] {input})[0], 2);
        assertThat(prediction.get("class_id").asInt()).isEqualTo(c.best().classId());
        assertThat((float) prediction.get("probability").asDouble()).isEqualTo(c.best().probability());
    }

    private static String json(Object o) throws Exception {
        return Http.JSON.writeValueAsString(o);
    }

    @Test
    void aTextModelTakesRawStringsTokenisedAndPaddedLikeTheCli() throws Exception {
        String shortText = "WIN a FREE prize";
        String longText = "meeting notes for monday, then win a free prize now and click here for money";
        assertThat(tokenizer.encode(longText).length).isGreaterThan(MAX_LEN);
        HttpResponse<String> r = http.post("/v1/models/spam:predict",
                "{\"instances\": [" + json(shortText) + ", " + json(longText) + ", " + Arrays.toString(encoded(shortText)) + "], \"top_k\": 2}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode preds = Http.json(r).get("predictions");
        assertThat(preds).hasSize(3);
        Predictor local = new Predictor(text);
        assertSamePrediction(preds.get(0), local, encoded(shortText));
        // An over-long text keeps its last MAX_LEN tokens.
        int[] ids = tokenizer.encode(longText);
        float[] last = new float[MAX_LEN];
        for (int i = 0; i < MAX_LEN; i++) last[i] = ids[ids.length - MAX_LEN + i];
        assertThat(encoded(longText)).containsExactly(last);
        assertSamePrediction(preds.get(1), local, last);
        // A string and its token ids as numbers answer the same.
        assertThat(preds.get(2)).isEqualTo(preds.get(0));
        JsonNode info = Http.json(http.get("/v1/models/spam"));
        assertThat(info.get("versions").get(0).get("accepts").toString()).contains("text").doesNotContain("b64_image");
    }

    static BufferedImage greyImage(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.getRaster().setSample(x, y, 0, (x * 31 + y * 17) % 256);
        return img;
    }

    static BufferedImage colourImage(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, (x * 40 % 256) << 16 | (y * 50 % 256) << 8 | ((x + y) * 20 % 256));
        return img;
    }

    static String b64(BufferedImage img, String format) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(img, format, out)).isTrue();
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }

    @Test
    void anImageModelTakesBase64PngAndJpegConvertedToItsInputShape() throws Exception {
        BufferedImage exact = greyImage(8, 8);
        float[] pixels = new float[64];
        for (int i = 0; i < 64; i++) pixels[i] = exact.getRaster().getSample(i % 8, i / 8, 0) / 255f;
        BufferedImage big = colourImage(20, 16);
        String body = "{\"instances\": [{\"b64\": \"" + b64(exact, "png") + "\"}, {\"b64\": \"" + b64(big, "jpg") + "\"}, "
                + Arrays.toString(pixels) + "], \"top_k\": 2}";
        HttpResponse<String> r = http.post("/v1/models/digits:predict", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode preds = Http.json(r).get("predictions");
        Predictor local = new Predictor(grey);
        assertSamePrediction(preds.get(0), local, pixels);
        assertThat(preds.get(2)).isEqualTo(preds.get(0));
        // A colour JPEG of another size: made grey and resized by kiln-data's image code.
        BufferedImage decoded = ImageIO.read(new java.io.ByteArrayInputStream(Base64.getDecoder().decode(b64(big, "jpg"))));
        assertSamePrediction(preds.get(1), local, Images.convert(decoded, "test", ImageOptions.of(8, 8, 1)));

        // An RGB model gets three channels; a grey image is copied into them.
        HttpResponse<String> c = http.post("/v1/models/colours:predict",
                "{\"instances\": [{\"b64\": \"" + b64(colourImage(4, 4), "png") + "\"}, {\"b64\": \"" + b64(greyImage(9, 7), "png") + "\"}]}");
        assertThat(c.statusCode()).as(c.body()).isEqualTo(200);
        JsonNode outs = Http.json(c).get("predictions");
        Predictor colourLocal = new Predictor(rgb);
        float[] expected = colourLocal.predict(new float[][] {Images.convert(colourImage(4, 4), "test", ImageOptions.of(4, 4, 3))})[0];
        assertThat(outs.get(0).get("outputs").get(0).floatValue()).isEqualTo(expected[0]);
        assertThat(outs.get(1).get("outputs")).hasSize(2);
        JsonNode info = Http.json(http.get("/v1/models/digits"));
        assertThat(info.get("versions").get(0).get("accepts").toString()).contains("b64_image").doesNotContain("text");
    }

    static Stream<Arguments> badRawInputs() throws Exception {
        byte[] png = Base64.getDecoder().decode(b64(greyImage(8, 8), "png"));
        String truncated = Base64.getEncoder().encodeToString(Arrays.copyOf(png, png.length / 2));
        BufferedImage huge = new BufferedImage(5000, 5000, BufferedImage.TYPE_BYTE_BINARY);
        return Stream.of(
                Arguments.of("a string for a model without a tokenizer", "digits", "{\"instances\": [\"hello\"]}", "carries no tokenizer"),
                Arguments.of("a string for a plain classifier", "animals", "{\"instances\": [\"hello\"]}", "carries no tokenizer"),
                Arguments.of("an empty string", "spam", "{\"instances\": [\"\"]}", "the text is empty"),
                Arguments.of("a blank string", "spam", "{\"instances\": [\"free\", \"   \"]}", "instance 1: the text is empty"),
                Arguments.of("punctuation only", "spam", "{\"instances\": [\"?!...\"]}", "no tokens"),
                Arguments.of("an image for a text model", "spam", "{\"instances\": [{\"b64\": \"" + b64(greyImage(8, 8), "png") + "\"}]}", "text model"),
                Arguments.of("an image for a non-image model", "plain", "{\"instances\": [{\"b64\": \"" + b64(greyImage(8, 8), "png") + "\"}]}", "is not an image"),
                Arguments.of("undecodable base64", "digits", "{\"instances\": [{\"b64\": \"@@not base64@@\"}]}", "not valid base64"),
                Arguments.of("empty base64", "digits", "{\"instances\": [{\"b64\": \"\"}]}", "\\\"b64\\\" is empty"),
                Arguments.of("base64 of text", "digits", "{\"instances\": [{\"b64\": \"" + Base64.getEncoder().encodeToString("hello world".getBytes()) + "\"}]}",
                        "does not hold an image"),
                Arguments.of("a corrupt PNG", "digits", "{\"instances\": [{\"b64\": \"" + truncated + "\"}]}", "damaged"),
                Arguments.of("an enormous image", "digits", "{\"instances\": [{\"b64\": \"" + b64(huge, "png") + "\"}]}", "pixels are accepted"),
                Arguments.of("a fraction as a token id", "spam", "{\"instances\": [[0, 0, 0, 0, 0, 0, 1, 2.5]]}", "position 7 holds 2.5"),
                Arguments.of("a token id beyond the vocabulary", "spam", "{\"instances\": [[0, 0, 0, 0, 0, 0, 1, 5000]]}", "whole numbers in [0, "),
                Arguments.of("b64 not a string", "digits", "{\"instances\": [{\"b64\": 5}]}", "must be a string"),
                Arguments.of("an object without b64", "digits", "{\"instances\": [{\"image\": \"x\"}]}", "must be {\\\"b64\\\""),
                Arguments.of("an empty object", "digits", "{\"instances\": [{}]}", "must be {\\\"b64\\\""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRawInputs")
    void badRawInputsGetA400WithAClearMessageAndTheServerKeepsWorking(String what, String model, String body, String message) throws Exception {
        HttpResponse<String> r = http.post("/v1/models/" + model + ":predict", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(Http.json(r).get("error").get("code").asInt()).isEqualTo(400);
        assertThat(r.body()).contains(message).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(http.post("/v1/models/spam:predict", "{\"instances\": [\"free prize\"]}").statusCode()).isEqualTo(200);
        assertThat(http.post("/v1/models/" + model + ":predict", "{\"instances\": [" + "[1" + ", 1".repeat(inputSize(model) - 1) + "]]}").statusCode())
                .isEqualTo(200);
    }

    @Test
    void aBadTokenIdFailsOnlyItsOwnRequestNotTheBatchItShares() throws Exception {
        Model embedding = new Sequential(new Embedding(10, 2), new Flatten(), new Dense(2)).seed(5).build(3);   // no tokenizer
        Metrics metrics = new Metrics();
        // A long queue delay: the second request joins the first one's batch.
        try (Batcher b = new Batcher(new Predictor(embedding), "e", 1, 64, Duration.ofSeconds(2), 16, metrics)) {
            var bad = b.submit(new float[][] {{1, 2, 99}});
            var good = b.submit(new float[][] {{1, 2, 3}});
            assertThat(good.get(10, java.util.concurrent.TimeUnit.SECONDS)[0]).containsExactly(new Predictor(embedding).predict(new float[][] {{1, 2, 3}})[0]);
            assertThat(bad).failsWithin(Duration.ofSeconds(10)).withThrowableOfType(java.util.concurrent.ExecutionException.class)
                    .withCauseInstanceOf(IllegalArgumentException.class);
        }
        // Over HTTP the refused request is a 400 naming the problem, not a 500.
        TestModels.saveVersion(models, "emb", 1, embedding);
        server.reload();
        HttpResponse<String> r = http.post("/v1/models/emb:predict", "{\"instances\": [[1, 2, 99]]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("the model refused the input").contains("99");
        assertThat(http.post("/v1/models/emb:predict", "{\"instances\": [[1, 2, 3]]}").statusCode()).isEqualTo(200);
    }

    private static int inputSize(String model) {
        return switch (model) {
            case "spam" -> MAX_LEN;
            case "digits" -> 64;
            case "animals" -> 4;
            case "plain" -> 5;
            default -> throw new IllegalArgumentException(model);
        };
    }
}
