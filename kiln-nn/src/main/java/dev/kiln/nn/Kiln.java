package dev.kiln.nn;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Facts about this Kiln build, recorded as provenance in every saved model and run. */
public final class Kiln {
    public static final String VERSION = "0.1.0";

    private Kiln() {}

    /**
     * SHA-256 of a dataset's features (as little-endian float32) and labels, so a run records exactly what it saw.
     * The values go through a little-endian view in bulk copies of 64 KB: a put per value kept the start of every
     * `fit` on Fashion-MNIST's 188 MB busy for 0.2-0.5 s (the loop runs once, mostly before the JIT has compiled it);
     * the digest itself (SHA-NI where the CPU has it) takes about 0.1 s of that.
     */
    public static String sha256(dev.kiln.data.Dataset data) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(1 << 16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            float[] f = data.features().rawFloats();
            java.nio.FloatBuffer floats = bytes.asFloatBuffer();
            for (int at = 0; at < f.length; at += floats.capacity()) {
                int n = Math.min(floats.capacity(), f.length - at);
                floats.clear().put(f, at, n);
                md.update(bytes.array(), 0, n * Float.BYTES);
            }
            int[] labels = data.labels();
            java.nio.IntBuffer ints = bytes.asIntBuffer();
            for (int at = 0; at < labels.length; at += ints.capacity()) {
                int n = Math.min(ints.capacity(), labels.length - at);
                ints.clear().put(labels, at, n);
                md.update(bytes.array(), 0, n * Integer.BYTES);
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /** Provenance of a run: Kiln version, JDK, OS/arch, seed, data hash, creation time. */
    public static Map<String, String> provenance(long seed, String dataSha256) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("kiln_version", VERSION);
        p.put("jdk", System.getProperty("java.vm.vendor") + " " + Runtime.version());
        p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        p.put("arch", System.getProperty("os.arch"));
        p.put("seed", Long.toString(seed));
        if (dataSha256 != null) p.put("data_sha256", dataSha256);
        p.put("created", Instant.now().toString());
        return p;
    }
}
