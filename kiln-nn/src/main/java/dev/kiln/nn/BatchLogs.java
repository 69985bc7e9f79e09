package dev.kiln.nn;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The running metrics {@link dev.kiln.nn.callbacks.Callback#onBatchEnd} sees: a read-only map over a fixed set of
 * keys whose values the training loop overwrites as plain doubles each step. A {@code Map<String, Double>} filled with
 * {@code put} would box three new {@code Double}s per step; here a value is boxed only when a callback reads it, so a
 * fit whose callbacks do not look at every batch allocates nothing for its logs.
 */
final class BatchLogs extends AbstractMap<String, Double> {
    private final String[] keys;
    private final double[] values;

    BatchLogs(String... keys) {
        this.keys = keys.clone();
        this.values = new double[keys.length];
    }

    /** Sets the value of key number {@code i} (in the order given to the constructor). */
    void set(int i, double value) {
        values[i] = value;
    }

    private int index(Object key) {
        for (int i = 0; i < keys.length; i++) if (keys[i].equals(key)) return i;
        return -1;
    }

    @Override
    public Double get(Object key) {
        int i = index(key);
        return i < 0 ? null : values[i];
    }

    /** Read-only: says how to keep or change the logs instead of AbstractMap's bare UnsupportedOperationException. */
    @Override
    public Double put(String key, Double value) {
        throw new UnsupportedOperationException("the logs given to onBatchEnd are read-only and refilled every step; copy them"
                + " (new LinkedHashMap<>(logs)) to change or keep them");
    }

    @Override
    public boolean containsKey(Object key) {
        return index(key) >= 0;
    }

    @Override
    public int size() {
        return keys.length;
    }

    @Override
    public Set<Entry<String, Double>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, Double>> iterator() {
                return new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < keys.length;
                    }

                    @Override
                    public Entry<String, Double> next() {
                        if (next >= keys.length) throw new NoSuchElementException();
                        int i = next++;
                        return Map.entry(keys[i], values[i]);
                    }
                };
            }

            @Override
            public int size() {
                return keys.length;
            }
        };
    }
}
