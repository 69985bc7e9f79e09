package dev.kiln.nn;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Facts about this Kiln build, recorded as provenance in every saved model and run. */
public final class Kiln {
    public static final String VERSION = "0.1.0";

    private Kiln() {}

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
