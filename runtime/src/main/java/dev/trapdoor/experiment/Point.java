package dev.trapdoor.experiment;

import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One run's parameters: an unmodifiable map from parameter name to value (so Groovy's
 * {@code p.size} and JavaScript's {@code p.get('size')} read it), plus the run's place in the
 * sweep. {@link #seed()} gives each run a distinct, reproducible seed for random inputs.
 */
public final class Point extends AbstractMap<String, Object> {
    private final Map<String, Object> values;
    private final int index;
    private final int repetition;

    Point(Map<String, ?> values, int index, int repetition) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.index = index;
        this.repetition = repetition;
    }

    /** Position of this run in the sweep, from 0 (points times repetitions, in result order). */
    public int index() { return index; }

    /** Which repetition of its point this run is, from 0. */
    public int repetition() { return repetition; }

    /** A seed derived from the run's index (SplitMix64's finaliser), the same on every machine. */
    public long seed() {
        long z = (index + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public long getLong(String name) { return number(name).longValue(); }
    public int getInt(String name) { return Math.toIntExact(getLong(name)); }
    public double getDouble(String name) { return number(name).doubleValue(); }

    public String getString(String name) {
        return String.valueOf(require(name));
    }

    private Number number(String name) {
        Object v = require(name);
        if (v instanceof Number n) return n;
        if (v instanceof CharSequence s) {
            try {
                return Double.valueOf(s.toString().trim());
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("parameter " + name + " is not a number: " + v);
    }

    private Object require(String name) {
        if (!values.containsKey(name)) throw new IllegalArgumentException("no parameter " + name + " (have " + values.keySet() + ")");
        return values.get(name);
    }

    @Override
    public Set<Entry<String, Object>> entrySet() { return values.entrySet(); }

    @Override
    public Object get(Object key) { return values.get(key); }

    @Override
    public boolean containsKey(Object key) { return values.containsKey(key); }
}
