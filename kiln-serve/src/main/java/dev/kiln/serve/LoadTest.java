package dev.kiln.serve;

import dev.kiln.nn.Model;
import dev.kiln.nn.Sequential;
import dev.kiln.nn.layers.Activation;
import dev.kiln.nn.layers.Conv2D;
import dev.kiln.nn.layers.Dense;
import dev.kiln.nn.layers.Flatten;
import dev.kiln.nn.layers.MaxPooling2D;
import dev.kiln.nn.layers.Reshape;
import dev.kiln.nn.losses.Loss;
import dev.kiln.nn.optimizers.Adam;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bench/serve-load}: a bounded loopback load test of the model server, like {@code wrk} with a
 * fixed body. It starts a {@link ModelServer} in this JVM for the Keras tutorial MLP (Flatten → Dense(128,
 * relu) → Dense(10), untrained: speed does not depend on the weights), the tutorial CNN ({@code --cnn}) or a
 * given {@code .kiln} file, then
 * runs N connections, each a thread with its own keep-alive socket sending single-instance predict
 * requests back to back (closed loop), for a number of rounds of fixed time. Per round it prints throughput,
 * latency percentiles, errors, the server's mean batch size, and the heap after a full GC compared with the
 * heap after warm-up: over a soak (several rounds) a leak shows as steady growth.
 *
 * <p>Both sides share the machine's cores, so the figures are a floor for the server alone. Stops by itself.
 *
 * <pre>
 * java -cp ... dev.kiln.serve.LoadTest [--connections 64] [--seconds 60] [--rounds 1] [--warmup 10] [--model FILE | --cnn]
 *                                      [--max-batch-size 64] [--max-queue-delay-ms 1]
 * </pre>
 */
public final class LoadTest {
    /** Latency histogram resolution: 10 µs steps to 20 ms, then 1 ms steps to 10 s. */
    private static final int FINE = 2000;
    private static final int COARSE = 10_000;

    private LoadTest() {}

    public static void main(String[] args) throws Exception {
        int connections = 64;
        int seconds = 60;
        int warmup = 10;
        int maxBatch = 64;
        int delayMs = 1;
        int rounds = 1;
        Path modelFile = null;
        boolean cnn = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--connections" -> { connections = Integer.parseInt(v); i++; }
                case "--seconds" -> { seconds = Integer.parseInt(v); i++; }
                case "--warmup" -> { warmup = Integer.parseInt(v); i++; }
                case "--rounds" -> { rounds = Integer.parseInt(v); i++; }
                case "--model" -> { modelFile = Path.of(v); i++; }
                case "--cnn" -> cnn = true;
                case "--max-batch-size" -> { maxBatch = Integer.parseInt(v); i++; }
                case "--max-queue-delay-ms" -> { delayMs = Integer.parseInt(v); i++; }
                default -> {
                    System.err.println("unknown argument '" + a + "'; use --connections N --seconds S --rounds R --warmup S --model FILE --cnn"
                            + " --max-batch-size N --max-queue-delay-ms MS");
                    System.exit(2);
                }
            }
        }
        if (connections < 1 || seconds < 1 || rounds < 1 || warmup < 0) throw new IllegalArgumentException("connections, seconds and rounds must be at least 1, warmup at least 0");

        Path dir = Files.createTempDirectory("kiln-serve-load");
        Path file = dir.resolve("mlp.kiln");
        if (modelFile == null) {
            Model model = cnn
                    // The Keras tutorial CNN, channels-last (examples/FashionMnistCnn.java).
                    ? new Sequential(new Reshape(28, 28, 1),
                            new Conv2D(32, 3, Activation.RELU), new MaxPooling2D(2),
                            new Conv2D(64, 3, Activation.RELU), new MaxPooling2D(2),
                            new Conv2D(64, 3, Activation.RELU),
                            new Flatten(), new Dense(64, Activation.RELU), new Dense(10))
                    : new Sequential(new Flatten(), new Dense(128, Activation.RELU), new Dense(10));
            model.seed(42).build(28, 28);
            model.compile(new Adam(1e-3), Loss.SPARSE_CATEGORICAL_CROSSENTROPY_FROM_LOGITS, "accuracy");
            model.save(file);
        } else {
            Files.copy(modelFile, file);
        }
        java.util.logging.Logger.getLogger("io.helidon").setLevel(java.util.logging.Level.WARNING);
        ServerConfig config = ServerConfig.of(null, List.of(file)).withMaxBatchSize(maxBatch).withMaxQueueDelay(Duration.ofMillis(delayMs))
                .withQueueCapacity(4096);
        try (ModelServer server = ModelServer.start(config)) {
            Predictor p = server.registryForLoadTest().find("mlp", null).predictor();
            byte[] request = request(server.port(), instance(p.inputShape()));
            System.out.printf(Locale.ROOT, "kiln-serve load test: model %s input %s, %d connections, warm-up %d s, run %d s, "
                    + "max batch %d, max queue delay %d ms, %d cores%n", modelFile != null ? modelFile : cnn ? "tutorial CNN (untrained)" : "tutorial MLP (untrained)",
                    dev.kiln.core.Shape.str(p.inputShape()), connections, warmup, seconds, maxBatch, delayMs, Runtime.getRuntime().availableProcessors());
            System.out.printf(Locale.ROOT, "request body: %d bytes (one instance)%n", request.length);
            if (warmup > 0) run(server.port(), request, connections, warmup);
            long heapWarm = heapAfterGc();
            System.out.printf(Locale.ROOT, "after warm-up: heap after full GC %.1f MB, RSS %.0f MB%n", heapWarm / 1e6, rss() / 1e6);
            long errors = 0;
            for (int round = 1; round <= rounds; round++) {
                String metricsBefore = metrics(server.port());
                Result r = run(server.port(), request, connections, seconds);
                String metricsAfter = metrics(server.port());
                long heap = heapAfterGc();
                double batches = value(metricsAfter, "kiln_batch_size_count") - value(metricsBefore, "kiln_batch_size_count");
                double samples = value(metricsAfter, "kiln_batch_size_sum") - value(metricsBefore, "kiln_batch_size_sum");
                System.out.printf(Locale.ROOT, "round %d: %d requests in %.1f s, %d errors | %.0f predictions/s | latency p50 %.2f ms, p90 %.2f ms, "
                                + "p99 %.2f ms, p99.9 %.2f ms, max %.1f ms | mean batch %.1f | heap after GC %.1f MB (%+.1f%% vs warm-up), RSS %.0f MB%n",
                        round, r.ok + r.errors, r.seconds, r.errors, r.ok / r.seconds, r.percentile(0.50), r.percentile(0.90), r.percentile(0.99),
                        r.percentile(0.999), r.maxMs, batches == 0 ? 0 : samples / batches, heap / 1e6, 100.0 * (heap - heapWarm) / heapWarm, rss() / 1e6);
                errors += r.errors;
            }
            if (errors > 0) System.exit(1);
        }
    }

    private record Result(long ok, long errors, double seconds, long[] histogram, double maxMs) {
        double percentile(double q) {
            long total = 0;
            for (long c : histogram) total += c;
            long rank = (long) Math.ceil(q * total);
            long seen = 0;
            for (int i = 0; i < histogram.length; i++) {
                seen += histogram[i];
                if (seen >= rank && seen > 0) return i < FINE ? (i + 1) * 0.01 : 20 + (i - FINE + 1);
            }
            return Double.NaN;
        }
    }

    private static Result run(int port, byte[] request, int connections, int seconds) throws InterruptedException {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        AtomicLong ok = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicLong maxNanos = new AtomicLong();
        long[][] histograms = new long[connections][FINE + COARSE];
        List<Thread> threads = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int c = 0; c < connections; c++) {
            long[] h = histograms[c];
            threads.add(Thread.ofPlatform().daemon().name("load-" + c).start(() -> {
                while (System.nanoTime() < end) {
                    try (Socket s = new Socket()) {
                        s.setTcpNoDelay(true);
                        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                        s.setSoTimeout(30_000);
                        OutputStream out = s.getOutputStream();
                        InputStream in = new BufferedInputStream(s.getInputStream(), 16384);
                        while (System.nanoTime() < end) {
                            long start = System.nanoTime();
                            out.write(request);
                            out.flush();
                            int status = readResponse(in);
                            long nanos = System.nanoTime() - start;
                            if (status == 200) ok.incrementAndGet();
                            else errors.incrementAndGet();
                            long us = nanos / 1000;
                            int bucket = us < FINE * 10L ? (int) (us / 10) : (int) Math.min(FINE + COARSE - 1, FINE + (us - FINE * 10L) / 1000);
                            h[bucket]++;
                            maxNanos.accumulateAndGet(nanos, Math::max);
                        }
                    } catch (IOException e) {
                        errors.incrementAndGet();   // reconnect and go on: the count says it happened
                    }
                }
            }));
        }
        for (Thread t : threads) t.join();
        double elapsed = (System.nanoTime() - t0) / 1e9;
        long[] merged = new long[FINE + COARSE];
        for (long[] h : histograms) for (int i = 0; i < h.length; i++) merged[i] += h[i];
        return new Result(ok.get(), errors.get(), elapsed, merged, maxNanos.get() / 1e6);
    }

    /** Reads one HTTP/1.1 response with a Content-Length body; returns its status. */
    private static int readResponse(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int status = -1;
        long length = -1;
        while (true) {
            line.setLength(0);
            int b;
            while ((b = in.read()) != '\n') {
                if (b < 0) throw new IOException("connection closed mid-response");
                if (b != '\r') line.append((char) b);
            }
            if (line.isEmpty()) break;
            String l = line.toString();
            if (status < 0) status = Integer.parseInt(l.substring(9, 12));
            else if (l.regionMatches(true, 0, "content-length:", 0, 15)) length = Long.parseLong(l.substring(15).strip());
        }
        if (length < 0) throw new IOException("response without Content-Length");
        in.skipNBytes(length);
        return status;
    }

    private static byte[] request(int port, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST /v1/models/mlp:predict HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\nContent-Length: "
                + b.length + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[h.length + b.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(b, 0, all, h.length, b.length);
        return all;
    }

    /** One instance of random pixel-like values in [0, 1] with 3 decimals, flat. */
    private static String instance(int[] shape) {
        Random r = new Random(1);
        StringBuilder sb = new StringBuilder("{\"instances\": [[");
        for (int i = 0; i < dev.kiln.core.Shape.size(shape); i++) {
            if (i > 0) sb.append(',');
            sb.append(String.format(Locale.ROOT, "%.3f", r.nextFloat()));
        }
        return sb.append("]], \"top_k\": 3}").toString();
    }

    private static String metrics(int port) throws IOException, InterruptedException {
        try (var client = java.net.http.HttpClient.newHttpClient()) {
            var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/metrics")).build();
            return client.send(req, java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        }
    }

    /** Sum of the series of {@code name} in a Prometheus text exposition. */
    private static double value(String text, String name) {
        double sum = 0;
        for (String l : text.split("\n")) {
            if (l.startsWith(name + "{") || l.startsWith(name + " ")) sum += Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1));
        }
        return sum;
    }

    private static long heapAfterGc() {
        for (int i = 0; i < 3; i++) System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Resident set size from /proc (Linux), or -1. */
    private static long rss() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("\\D", "")) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
