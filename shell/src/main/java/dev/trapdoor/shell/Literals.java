package dev.trapdoor.shell;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** The small literal syntax of command arguments: numbers (0x hex or decimal) and quoted strings with escapes. */
final class Literals {
    private Literals() {}

    /** A number literal, or null if the text is not one (then it is an expression). */
    static Long number(String s) {
        String t = s.strip().replace("_", "");
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) return Long.parseUnsignedLong(t.substring(2), 16);
            if (t.matches("-?\\d+")) return Long.parseLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number: " + s);
        }
        return null;
    }

    /** Splits arguments at whitespace, keeping quoted strings whole. */
    static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            }
            int start = i;
            if (c == '"' || c == '\'') {
                i = closingQuote(s, i) + 1;
            } else {
                while (i < s.length() && !Character.isWhitespace(s.charAt(i))) i++;
            }
            out.add(s.substring(start, i));
        }
        return out;
    }

    private static int closingQuote(String s, int open) {
        char q = s.charAt(open);
        for (int i = open + 1; i < s.length(); i++) {
            if (s.charAt(i) == '\\') i++;
            else if (s.charAt(i) == q) return i;
        }
        throw new IllegalArgumentException("unterminated string: " + s.substring(open));
    }

    static boolean isQuoted(String token) {
        return token.length() >= 2 && (token.charAt(0) == '"' || token.charAt(0) == '\'') && token.charAt(token.length() - 1) == token.charAt(0);
    }

    /** The bytes of a quoted string: ISO-8859-1 characters, escapes \n \r \t \0 \\ \" \' \xNN. */
    static byte[] stringBytes(String token) {
        String body = token.substring(1, token.length() - 1);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c != '\\') {
                if (c > 0xff) throw new IllegalArgumentException("'" + c + "' is not a byte: use \\xNN escapes for non-Latin-1 text");
                b.write(c);
                continue;
            }
            if (++i >= body.length()) throw new IllegalArgumentException("a string ends in a lone backslash");
            char e = body.charAt(i);
            switch (e) {
                case 'n' -> b.write('\n');
                case 'r' -> b.write('\r');
                case 't' -> b.write('\t');
                case '0' -> b.write(0);
                case '\\', '"', '\'' -> b.write(e);
                case 'x' -> {
                    if (i + 3 > body.length() || !isHex(body, i + 1, i + 3))
                        throw new IllegalArgumentException("\\x needs two hex digits");
                    b.write(HexFormat.fromHexDigits(body, i + 1, i + 3));
                    i += 2;
                }
                default -> throw new IllegalArgumentException("unknown escape \\" + e + " (use \\n \\r \\t \\0 \\xNN)");
            }
        }
        return b.toByteArray();
    }

    private static boolean isHex(String s, int from, int to) {
        for (int i = from; i < to; i++) if (Character.digit(s.charAt(i), 16) < 0) return false;
        return true;
    }
}
