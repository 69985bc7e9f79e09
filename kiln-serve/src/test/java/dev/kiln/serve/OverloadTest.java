package dev.kiln.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full queue, a slow answer and a shutdown with a request inside, over HTTP, made deterministic by a
 * model whose forward pass waits for the test ({@link TestModels.GateModel}).
 */
class OverloadTest {
    static final String BODY = "{\"instances\": [[1, 2]]}";

    @TempDir
    Path emptyModels;

    TestModels.GateModel gate = new TestModels.GateModel();
    ModelServer server;
    Http http;

    private void start(ServerConfig config) throws Exception {
        server = ModelServer.start(config, Map.of("slow", new Predictor(gate)));
        http = new Http(server.port());
    }

    @AfterEach
    void stop() {
        gate.release();
        if (http != null) http.close();
        if (server != null) server.close();
    }

    private CompletableFuture<HttpResponse<String>> postAsync() {
        HttpRequest r = http.request("/v1/models/slow:predict").POST(HttpRequest.BodyPublishers.ofString(BODY)).build();
        return CompletableFuture.supplyAsync(() -> {
            try {
                return http.send(r);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private void awaitQueueDepth(int depth) throws Exception {
        String want = "kiln_queue_depth{model=\"slow\",version=\"1\"} " + depth;
        for (int i = 0; i < 400 && !http.get("/metrics").body().contains(want); i++) Thread.sleep(10);   // bounded: 4 s
        assertThat(http.get("/metrics").body()).contains(want);
    }

    @Test
    void aFullQueueAnswers503WithRetryAfterAndTheQueuedRequestsStillSucceed() throws Exception {
        start(ServerConfig.of(emptyModels, List.of()).withMaxBatchSize(1).withQueueCapacity(1).withMaxQueueDelay(Duration.ZERO));
        CompletableFuture<HttpResponse<String>> running = postAsync();
        assertThat(gate.started.await(5, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<HttpResponse<String>> queued = postAsync();
        awaitQueueDepth(1);

        HttpResponse<String> full = http.post("/v1/models/slow:predict", BODY);
        assertThat(full.statusCode()).isEqualTo(503);
        assertThat(full.headers().firstValue("retry-after")).hasValue("1");
        assertThat(Http.json(full).get("error").get("message").asText()).contains("1 requests waiting");

        gate.release();
        assertThat(running.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        HttpResponse<String> q = queued.get(10, TimeUnit.SECONDS);
        assertThat(q.statusCode()).isEqualTo(200);
        assertThat(Http.json(q).get("predictions").get(0).get("outputs").toString()).isEqualTo("[1.0,2.0]");
    }

    @Test
    void aRequestNotAnsweredInTimeGets504AndTheServerGoesOn() throws Exception {
        start(ServerConfig.of(emptyModels, List.of()).withRequestTimeout(Duration.ofMillis(300)));
        HttpResponse<String> r = http.post("/v1/models/slow:predict", BODY);
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(Http.json(r).get("error").get("message").asText()).contains("no prediction within 300 ms");
        gate.release();
        assertThat(http.post("/v1/models/slow:predict", BODY).statusCode()).isEqualTo(200);
    }

    @Test
    void shutdownRefusesNewWorkButFinishesTheRequestInside() throws Exception {
        start(ServerConfig.of(emptyModels, List.of()));
        CompletableFuture<HttpResponse<String>> inside = postAsync();
        assertThat(gate.started.await(5, TimeUnit.SECONDS)).isTrue();
        Thread closer = Thread.ofPlatform().start(server::close);
        // While draining: not ready, and new predictions are turned away.
        HttpResponse<String> ready = null;
        for (int i = 0; i < 400; i++) {   // bounded: until close() has begun draining
            ready = http.get("/health/ready");
            if (ready.statusCode() == 503) break;
            Thread.sleep(10);
        }
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(Http.json(ready).get("status").asText()).isEqualTo("draining");
        HttpResponse<String> refused = http.post("/v1/models/slow:predict", BODY);
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).contains("shutting down");
        assertThat(closer.isAlive()).as("close() waits for the request inside").isTrue();

        gate.release();
        assertThat(inside.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        closer.join(10_000);
        assertThat(closer.isAlive()).isFalse();
        server = null;
    }
}
