package dev.trapdoor.experiment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON (RFC 8259) writer and reader for results and traces.
 *
 * <p>Writing maps Java values: null, booleans, numbers (non-finite doubles become {@code null},
 * which JSON has no other way to say), character sequences, enums (by name), maps (keys by
 * {@code String.valueOf}), iterables and arrays; anything else is written as its {@code toString()}.
 *
 * <p>Reading gives {@code null}, {@link Boolean}, {@link Long} (integers that fit) or
 * {@link Double} or {@link BigDecimal}, {@link String}, {@code List<Object>} and
 * {@code LinkedHashMap<String, Object>}. Nesting is bounded so a hostile file cannot overflow the stack.
 */
public final class Json {
    private static final int MAX_DEPTH = 512;

    private Json() { }

    /** The value as compact JSON text. */
    public static String write(Object value) {
        StringBuilder b = new StringBuilder();
        write(b, value);
        return b.toString();
    }

    /** Appends the value as compact JSON. */
    public static void write(Appendable out, Object value) {
        try {
            append(out, value, 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void append(Appendable out, Object v, int depth) throws IOException {
        if (depth > MAX_DEPTH) throw new IllegalArgumentException("value nests deeper than " + MAX_DEPTH + " (a cycle?)");
        switch (v) {
            case null -> out.append("null");
            case Boolean bool -> out.append(bool.toString());
            case Double d -> number(out, d);
            case Float f -> number(out, f.doubleValue());
            case Number n -> out.append(plainNumber(n));
            case CharSequence s -> string(out, s);
            case Character c -> string(out, String.valueOf(c));
            case Enum<?> e -> string(out, e.name());
            case Map<?, ?> m -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) out.append(',');
                    first = false;
                    string(out, String.valueOf(e.getKey()));
                    out.append(':');
                    append(out, e.getValue(), depth + 1);
                }
                out.append('}');
            }
            case Iterable<?> it -> {
                out.append('[');
                boolean first = true;
                for (Object o : it) {
                    if (!first) out.append(',');
                    first = false;
                    append(out, o, depth + 1);
                }
                out.append(']');
            }
            default -> {
                if (v.getClass().isArray()) {
                    out.append('[');
                    int n = Array.getLength(v);
                    for (int i = 0; i < n; i++) {
                        if (i > 0) out.append(',');
                        append(out, Array.get(v, i), depth + 1);
                    }
                    out.append(']');
                } else {
                    string(out, v.toString());
                }
            }
        }
    }

    private static void number(Appendable out, double d) throws IOException {
        if (!Double.isFinite(d)) {
            out.append("null");
        } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            // Whole values print without a fraction: "3" rather than "3.0".
            out.append(Long.toString((long) d));
        } else {
            out.append(Double.toString(d));
        }
    }

    private static String plainNumber(Number n) {
        if (n instanceof BigDecimal bd) return bd.toString();
        if (n instanceof BigInteger || n instanceof Long || n instanceof Integer || n instanceof Short || n instanceof Byte) {
            return n.toString();
        }
        double d = n.doubleValue();   // AtomicLong, Groovy/JS numbers, ...
        if (!Double.isFinite(d)) return "null";
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString(n.longValue()) : Double.toString(d);
    }

    /** Appends a JSON string literal: quotes, backslashes and control characters escaped. */
    public static void string(Appendable out, CharSequence s) throws IOException {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    // U+2028/2029 are legal in JSON but end lines in JavaScript; escape them too.
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') out.append(String.format("\\u%04x", (int) c));
                    else out.append(c);
                }
            }
        }
        out.append('"');
    }

    /** Parses one JSON value; the whole text must be that value (surrounding whitespace allowed). */
    public static Object parse(CharSequence text) {
        Parser p = new Parser(text);
        p.skipSpace();
        Object v = p.value(0);
        p.skipSpace();
        if (p.pos != text.length()) throw p.error("trailing text");
        return v;
    }

    /** A parse failure with its character offset. */
    public static final class ParseException extends IllegalArgumentException {
        public ParseException(String message) {
            super(message);
        }
    }

    private static final class Parser {
        private final CharSequence s;
        private int pos;

        Parser(CharSequence s) {
            this.s = s;
        }

        ParseException error(String what) {
            return new ParseException("JSON: " + what + " at offset " + pos);
        }

        void skipSpace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
                pos++;
            }
        }

        Object value(int depth) {
            if (depth > MAX_DEPTH) throw error("nesting deeper than " + MAX_DEPTH);
            if (pos >= s.length()) throw error("unexpected end");
            char c = s.charAt(pos);
            return switch (c) {
                case '{' -> object(depth);
                case '[' -> array(depth);
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) yield number();
                    throw error("unexpected '" + c + "'");
                }
            };
        }

        private Object literal(String word, Object v) {
            if (pos + word.length() > s.length() || !word.contentEquals(s.subSequence(pos, pos + word.length()))) {
                throw error("expected " + word);
            }
            pos += word.length();
            return v;
        }

        private Map<String, Object> object(int depth) {
            Map<String, Object> m = new LinkedHashMap<>();
            pos++;
            skipSpace();
            if (peek() == '}') {
                pos++;
                return m;
            }
            while (true) {
                skipSpace();
                if (peek() != '"') throw error("expected a member name");
                String key = string();
                skipSpace();
                expect(':');
                skipSpace();
                m.put(key, value(depth + 1));
                skipSpace();
                char c = next();
                if (c == '}') return m;
                if (c != ',') throw error("expected ',' or '}'");
            }
        }

        private List<Object> array(int depth) {
            List<Object> l = new ArrayList<>();
            pos++;
            skipSpace();
            if (peek() == ']') {
                pos++;
                return l;
            }
            while (true) {
                skipSpace();
                l.add(value(depth + 1));
                skipSpace();
                char c = next();
                if (c == ']') return l;
                if (c != ',') throw error("expected ',' or ']'");
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') return b.toString();
                if (c < 0x20) throw error("control character in string");
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = next();
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (pos + 4 > s.length()) throw error("short \\u escape");
                        int cp = 0;
                        for (int i = 0; i < 4; i++) {
                            int d = Character.digit(s.charAt(pos++), 16);
                            if (d < 0) throw error("bad \\u escape");
                            cp = cp * 16 + d;
                        }
                        b.append((char) cp);
                    }
                    default -> throw error("bad escape \\" + e);
                }
            }
        }

        private Object number() {
            int start = pos;
            if (peek() == '-') pos++;
            if (peek() == '0') {
                pos++;
            } else if (isDigit(peek())) {
                while (isDigit(peek())) pos++;
            } else {
                throw error("bad number");
            }
            boolean integral = true;
            if (peek() == '.') {
                integral = false;
                pos++;
                if (!isDigit(peek())) throw error("bad fraction");
                while (isDigit(peek())) pos++;
            }
            if (peek() == 'e' || peek() == 'E') {
                integral = false;
                pos++;
                if (peek() == '+' || peek() == '-') pos++;
                if (!isDigit(peek())) throw error("bad exponent");
                while (isDigit(peek())) pos++;
            }
            String t = s.subSequence(start, pos).toString();
            if (integral) {
                try {
                    return Long.parseLong(t);
                } catch (NumberFormatException tooBig) {
                    return new BigDecimal(t);
                }
            }
            return Double.parseDouble(t);
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }

        private char peek() {
            return pos < s.length() ? s.charAt(pos) : '\0';
        }

        private char next() {
            if (pos >= s.length()) throw error("unexpected end");
            return s.charAt(pos++);
        }

        private void expect(char c) {
            if (next() != c) {
                pos--;
                throw error("expected '" + c + "'");
            }
        }
    }
}
