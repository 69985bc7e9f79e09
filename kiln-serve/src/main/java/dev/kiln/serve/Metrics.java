package dev.kiln.serve;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * The server's counters and histograms, written in the Prometheus text format (version 0.0.4).
 *
 * <p>Labels are bounded on purpose: routes are a fixed set of names (never the raw path, which a client
 * controls), models and versions only those the server has loaded. Thread-safe: adders, no locks.
 */
final class Metrics {
    private static final double[] LATENCY_BUCKETS = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final Map<String, Histogram> latency = new ConcurrentHashMap<>();
    private final Map<String, Histogram> batchSizes = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> predictions = new ConcurrentHashMap<>();
    final LongAdder loadFailures = new LongAdder();

    /** A fixed-bucket histogram (cumulative buckets are computed when written). */
    static final class Histogram {
        private final double[] bounds;
        private final LongAdder[] counts;
        private final DoubleAdder sum = new DoubleAdder();
        private final LongAdder count = new LongAdder();

        Histogram(double[] bounds) {
            this.bounds = bounds;
            this.counts = new LongAdder[bounds.length + 1];
            for (int i = 0; i < counts.length; i++) counts[i] = new LongAdder();
        }

        void observe(double v) {
            int i = 0;
            while (i < bounds.length && v > bounds[i]) i++;
            counts[i].increment();
            sum.add(v);
            count.increment();
        }

        long count() {
            return count.sum();
        }

        void write(StringBuilder sb, String name, String labels) {
            long cumulative = 0;
            String sep = labels.isEmpty() ? "" : labels + ",";
            for (int i = 0; i < bounds.length; i++) {
                cumulative += counts[i].sum();
                sb.append(name).append("_bucket{").append(sep).append("le=\"").append(num(bounds[i])).append("\"} ").append(cumulative).append('\n');
            }
            cumulative += counts[bounds.length].sum();
            sb.append(name).append("_bucket{").append(sep).append("le=\"+Inf\"} ").append(cumulative).append('\n');
            String braces = labels.isEmpty() ? "" : "{" + labels + "}";
            sb.append(name).append("_sum").append(braces).append(' ').append(num(sum.sum())).append('\n');
            sb.append(name).append("_count").append(braces).append(' ').append(cumulative).append('\n');
        }
    }

    /** One answered request: its route name, status code and time taken. */
    void request(String route, int status, long nanos) {
        String key = "route=\"" + route + "\",code=\"" + status + "\"";
        requests.computeIfAbsent(key, k -> new LongAdder()).increment();
        if (status >= 400) errors.computeIfAbsent(key, k -> new LongAdder()).increment();
        latency.computeIfAbsent("route=\"" + route + "\"", k -> new Histogram(LATENCY_BUCKETS)).observe(nanos / 1e9);
    }

    /** One forward pass of {@code size} samples for a model version. */
    void batch(String model, long version, int size) {
        String key = modelLabels(model, version);
        batchSizes.computeIfAbsent(key, k -> new Histogram(BATCH_BUCKETS)).observe(size);
        predictions.computeIfAbsent(key, k -> new LongAdder()).add(size);
    }

    static String modelLabels(String model, long version) {
        return "model=\"" + escape(model) + "\",version=\"" + version + "\"";
    }

    /** The whole exposition; {@code registry} adds the gauges it knows (queue depth, load time, readiness). */
    String render(ModelRegistry registry) {
        StringBuilder sb = new StringBuilder(4096);
        counter(sb, "kiln_requests_total", "HTTP requests answered, by route and status code.", requests);
        counter(sb, "kiln_request_errors_total", "HTTP requests answered with a 4xx or 5xx status.", errors);
        sb.append("# HELP kiln_request_duration_seconds Time from receiving a request to answering it.\n");
        sb.append("# TYPE kiln_request_duration_seconds histogram\n");
        new TreeMap<>(latency).forEach((labels, h) -> h.write(sb, "kiln_request_duration_seconds", labels));
        counter(sb, "kiln_predictions_total", "Samples predicted, by model version.", predictions);
        sb.append("# HELP kiln_batch_size Samples per forward pass (dynamic batching).\n");
        sb.append("# TYPE kiln_batch_size histogram\n");
        new TreeMap<>(batchSizes).forEach((labels, h) -> h.write(sb, "kiln_batch_size", labels));
        sb.append("# HELP kiln_queue_depth Requests waiting for a forward pass.\n# TYPE kiln_queue_depth gauge\n");
        sb.append("# HELP kiln_model_load_seconds Time it took to load a model version.\n# TYPE kiln_model_load_seconds gauge\n");
        for (ModelRegistry.Served s : registry.all()) {
            String l = modelLabels(s.name(), s.version());
            sb.append("kiln_queue_depth{").append(l).append("} ").append(s.batcher().queueDepth()).append('\n');
            sb.append("kiln_model_load_seconds{").append(l).append("} ").append(num(s.loadNanos() / 1e9)).append('\n');
        }
        sb.append("# HELP kiln_model_load_failures_total Model files refused (damaged, wrong format, unreadable).\n");
        sb.append("# TYPE kiln_model_load_failures_total counter\nkiln_model_load_failures_total ").append(loadFailures.sum()).append('\n');
        return sb.toString();
    }

    private static void counter(StringBuilder sb, String name, String help, Map<String, LongAdder> values) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n').append("# TYPE ").append(name).append(" counter\n");
        new TreeMap<>(values).forEach((labels, v) -> sb.append(name).append('{').append(labels).append("} ").append(v.sum()).append('\n'));
    }

    private static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return Long.toString((long) v);
        return Double.toString(v);   // e.g. 5.0E-4: Prometheus parses floats as Go's ParseFloat does
    }

    /** Label values: backslash, quote and newline escaped as the text format requires. */
    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
