package dev.trapdoor.cpu;

/** An open-addressing long -> V map (linear probing, backward-shift deletion): lookups never box or allocate. */
final class LongMap<V> {
    private long[] keys;
    private Object[] values;
    private int size;

    LongMap(int capacity) {
        int c = Integer.highestOneBit(Math.max(16, capacity) - 1) << 1;
        keys = new long[c];
        values = new Object[c];
    }

    private static int hash(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32));
    }

    @SuppressWarnings("unchecked")
    V get(long key) {
        int m = keys.length - 1;
        for (int i = hash(key) & m; ; i = (i + 1) & m) {
            Object v = values[i];
            if (v == null) return null;
            if (keys[i] == key) return (V) v;
        }
    }

    void put(long key, V value) {
        if ((size + 1) * 4 > keys.length * 3) grow();
        int m = keys.length - 1;
        for (int i = hash(key) & m; ; i = (i + 1) & m) {
            if (values[i] == null) {
                keys[i] = key;
                values[i] = value;
                size++;
                return;
            }
            if (keys[i] == key) {
                values[i] = value;
                return;
            }
        }
    }

    void remove(long key) {
        int m = keys.length - 1;
        int i = hash(key) & m;
        while (true) {
            if (values[i] == null) return;
            if (keys[i] == key) break;
            i = (i + 1) & m;
        }
        values[i] = null;
        size--;
        // Shift back the entries of the probe run that follows.
        for (int j = (i + 1) & m; values[j] != null; j = (j + 1) & m) {
            int home = hash(keys[j]) & m;
            boolean movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
            if (movable) {
                keys[i] = keys[j];
                values[i] = values[j];
                values[j] = null;
                i = j;
            }
        }
    }

    int size() {
        return size;
    }

    /** Calls action on every value (no changes to the map meanwhile). */
    void forEachValue(java.util.function.Consumer<V> action) {
        for (Object v : values) {
            if (v != null) {
                @SuppressWarnings("unchecked") V value = (V) v;
                action.accept(value);
            }
        }
    }

    /** Calls action on every key (no changes to the map meanwhile). */
    void forEachKey(java.util.function.LongConsumer action) {
        for (int i = 0; i < keys.length; i++) if (values[i] != null) action.accept(keys[i]);
    }

    void clear() {
        java.util.Arrays.fill(values, null);
        size = 0;
    }

    private void grow() {
        long[] ok = keys;
        Object[] ov = values;
        keys = new long[ok.length * 2];
        values = new Object[ov.length * 2];
        size = 0;
        for (int i = 0; i < ok.length; i++) {
            if (ov[i] != null) {
                @SuppressWarnings("unchecked") V v = (V) ov[i];
                put(ok[i], v);
            }
        }
    }
}
