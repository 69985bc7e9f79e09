package dev.kiln.nn;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Facts about this Kiln build, recorded as provenance in every saved model and run. */
public final class Kiln {
    public static final String VERSION = "0.1.0";

    private Kiln() {}

    /** SHA-256 of a dataset's features (as little-endian float32) and labels, so a run records exactly what it saw. */
    public static String sha256(dev.kiln.data.Dataset data) {
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            float[] f = data.features().rawFloats();
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(1 << 16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (float v : f) {
                if (!buf.hasRemaining()) { md.update(buf.flip()); buf.clear(); }
                buf.putFloat(v);
            }
            for (int l : data.labels()) {
                if (!buf.hasRemaining()) { md.update(buf.flip()); buf.clear(); }
                buf.putInt(l);
            }
            md.update(buf.flip());
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
