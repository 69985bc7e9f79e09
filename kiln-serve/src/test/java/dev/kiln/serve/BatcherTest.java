package dev.kiln.serve;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BatcherTest {
    @Test
    void answersEachRequestWithItsOwnRowsAndGroupsQueuedRequestsIntoOneBatch() throws Exception {
        TestModels.GateModel gate = new TestModels.GateModel();
        Metrics metrics = new Metrics();
        try (Batcher b = new Batcher(new Predictor(gate), "g", 1, 64, Duration.ofMillis(1), 16, metrics)) {
            CompletableFuture<float[][]> first = b.submit(new float[][] {{0, 0}});
            assertThat(gate.started.await(5, TimeUnit.SECONDS)).isTrue();   // the worker is now busy with `first`
            List<CompletableFuture<float[][]>> queued = new ArrayList<>();
            for (int i = 1; i <= 5; i++) queued.add(b.submit(new float[][] {{i, -i}, {10 * i, 0}}));
            assertThat(b.queueDepth()).isEqualTo(5);
            gate.release();
            assertThat(first.get(5, TimeUnit.SECONDS)[0]).containsExactly(0, 0);
            for (int i = 1; i <= 5; i++) {
                float[][] out = queued.get(i - 1).get(5, TimeUnit.SECONDS);
                assertThat(out).hasNumberOfRows(2);
                assertThat(out[0]).containsExactly(i, -i);
                assertThat(out[1]).containsExactly(10 * i, 0);
            }
        }
        // Two forward passes: the first request alone, then the five queued ones (10 rows) together.
        String text = metrics.render(new ModelRegistry(ServerConfig.of(null, List.of(java.nio.file.Path.of("unused.kiln"))), metrics));
        assertThat(text).contains("kiln_batch_size_count{model=\"g\",version=\"1\"} 2")
                .contains("kiln_predictions_total{model=\"g\",version=\"1\"} 11");
    }

    @Test
    void aFullQueueRefusesAndClosingAnswersWhatWasQueued() throws Exception {
        TestModels.GateModel gate = new TestModels.GateModel();
        Batcher b = new Batcher(new Predictor(gate), "g", 1, 1, Duration.ZERO, 2, new Metrics());
        CompletableFuture<float[][]> running = b.submit(new float[][] {{1, 1}});
        assertThat(gate.started.await(5, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<float[][]> q1 = b.submit(new float[][] {{2, 2}});
        CompletableFuture<float[][]> q2 = b.submit(new float[][] {{3, 3}});
        assertThat(q1).isNotNull();
        assertThat(q2).isNotNull();
        assertThat(b.submit(new float[][] {{4, 4}})).as("third request with capacity 2").isNull();

        Thread closer = Thread.ofPlatform().start(b::close);
        gate.release();
        closer.join(10_000);
        assertThat(closer.isAlive()).isFalse();
        assertThat(running.get(1, TimeUnit.SECONDS)[0]).containsExactly(1, 1);
        assertThat(q1.get(1, TimeUnit.SECONDS)[0]).containsExactly(2, 2);   // drained, not dropped
        assertThat(q2.get(1, TimeUnit.SECONDS)[0]).containsExactly(3, 3);
        assertThat(b.submit(new float[][] {{5, 5}})).as("closed").isNull();
    }

    @Test
    void aCancelledRequestIsSkipped() throws Exception {
        TestModels.GateModel gate = new TestModels.GateModel();
        Metrics metrics = new Metrics();
        try (Batcher b = new Batcher(new Predictor(gate), "g", 1, 8, Duration.ZERO, 4, metrics)) {
            CompletableFuture<float[][]> running = b.submit(new float[][] {{1, 1}});
            assertThat(gate.started.await(5, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<float[][]> timedOut = b.submit(new float[][] {{2, 2}});
            CompletableFuture<float[][]> kept = b.submit(new float[][] {{3, 3}});
            timedOut.cancel(false);
            gate.release();
            running.get(5, TimeUnit.SECONDS);
            assertThat(kept.get(5, TimeUnit.SECONDS)[0]).containsExactly(3, 3);
        }
        String text = metrics.render(new ModelRegistry(ServerConfig.of(null, List.of(java.nio.file.Path.of("unused.kiln"))), metrics));
        assertThat(text).contains("kiln_predictions_total{model=\"g\",version=\"1\"} 2");
    }
}
