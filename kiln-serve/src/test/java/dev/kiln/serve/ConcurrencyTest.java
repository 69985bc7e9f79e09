package dev.kiln.serve;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many clients at once, while a new version is swapped in: every answer is right and none fails. */
class ConcurrencyTest {
    @TempDir
    Path models;

    @Test
    void manyClientsGetTheirOwnAnswersWhileANewVersionIsSwappedIn() throws Exception {
        Predictor v1 = new Predictor(TestModels.classifier(1));
        Predictor v2 = new Predictor(TestModels.classifier(2));
        TestModels.saveVersion(models, "animals", 1, v1.model());
        Random r = new Random(11);
        float[][] inputs = new float[40][4];
        for (float[] row : inputs) for (int j = 0; j < 4; j++) row[j] = (float) (r.nextGaussian() * 2);

        int clients = 32;
        int perClient = 40;
        try (ModelServer server = ModelServer.start(ServerConfig.of(models, List.of()).withPollInterval(Duration.ofMinutes(10)).withMaxBatchSize(16));
             Http http = new Http(server.port());
             ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            AtomicBoolean swapped = new AtomicBoolean();
            List<Future<int[]>> results = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                results.add(pool.submit(() -> {
                    int[] perVersion = new int[3];
                    for (int i = 0; i < perClient; i++) {
                        int k = (client * 7 + i) % inputs.length;
                        String body = String.format(Locale.ROOT, "{\"instances\": [[%s,%s,%s,%s]], \"top_k\": 1}",
                                inputs[k][0], inputs[k][1], inputs[k][2], inputs[k][3]);
                        HttpResponse<String> resp = http.post("/v1/models/animals:predict", body);
                        if (resp.statusCode() != 200) throw new AssertionError("client " + client + " request " + i + ": " + resp.statusCode() + " " + resp.body());
                        JsonNode json = Http.json(resp);
                        int version = json.get("version").asInt();
                        Predictor expected = version == 1 ? v1 : v2;
                        Predictor.ClassScore best = expected.classify(expected.predict(new float[][] {inputs[k]})[0], 1).best();
                        JsonNode p = json.get("predictions").get(0);
                        if (p.get("class_id").asInt() != best.classId() || (float) p.get("probability").asDouble() != best.probability()) {
                            throw new AssertionError("client " + client + " got " + p + " for input " + k + " from version " + version + ", expected " + best);
                        }
                        perVersion[version]++;
                    }
                    return perVersion;
                }));
                if (c == clients / 2 && swapped.compareAndSet(false, true)) {
                    TestModels.saveVersion(models, "animals", 2, v2.model());
                    server.reload();
                }
            }
            int total = 0;
            int fromV2 = 0;
            for (Future<int[]> f : results) {
                int[] counts = f.get();
                total += counts[1] + counts[2];
                fromV2 += counts[2];
            }
            assertThat(total).isEqualTo(clients * perClient);
            assertThat(fromV2).isPositive();
            String metrics = http.get("/metrics").body();
            assertThat(metrics).contains("kiln_requests_total{route=\"predict\",code=\"200\"} " + total).doesNotContain("code=\"5");
        }
    }
}
