package dev.trapdoor.shell;

import java.util.Arrays;
import java.util.HexFormat;

/** How the shell shows values: integers also in hex (addresses and registers are hex), arrays by element. */
final class ValueFormat {
    private ValueFormat() {}

    /** A value as text for print helpers. */
    static String plain(Object o) {
        return switch (o) {
            case null -> "null";
            case byte[] b -> HexFormat.ofDelimiter(" ").formatHex(b);
            case Object[] a -> Arrays.deepToString(a);
            case int[] a -> Arrays.toString(a);
            case long[] a -> Arrays.toString(a);
            case groovy.lang.Closure<?> c -> "closure of " + c.getMaximumNumberOfParameters() + " parameter"
                    + (c.getMaximumNumberOfParameters() == 1 ? "" : "s");
            default -> String.valueOf(o);
        };
    }

    /** A REPL result as text, or null if there is nothing to show (null, void, undefined). */
    static String result(Object o) {
        if (o == null) return null;
        if (o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte) {
            long v = ((Number) o).longValue();
            return v >= 0 && v < 10 ? Long.toString(v) : v + " (0x" + Long.toHexString(v) + ")";
        }
        return plain(o);
    }
}
