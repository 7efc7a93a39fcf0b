package dev.trapdoor.shell;

/**
 * A lexical look at Groovy input typed at the prompt: is a bracket, a triple-quoted string or a
 * block comment still open, or does the line end in a continuation backslash. Groovy's parser
 * reports such input at the first bracket it cannot match rather than at the end, so the shell
 * asks this scanner first.
 */
final class GroovyInput {
    private GroovyInput() {}

    static boolean open(String s) {
        int depth = 0;
        int i = 0;
        int n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (c == '/' && i + 1 < n && s.charAt(i + 1) == '/') {
                while (i < n && s.charAt(i) != '\n') i++;
                continue;
            }
            if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
                int end = s.indexOf("*/", i + 2);
                if (end < 0) return true;
                i = end + 2;
                continue;
            }
            if (c == '\'' || c == '"') {
                boolean triple = s.startsWith(String.valueOf(c).repeat(3), i);
                int end = stringEnd(s, i + (triple ? 3 : 1), c, triple);
                if (end < 0) return triple;
                i = end;
                continue;
            }
            if (c == '(' || c == '[' || c == '{') depth++;
            else if (c == ')' || c == ']' || c == '}') depth--;
            i++;
        }
        return depth > 0 || s.stripTrailing().endsWith("\\");
    }

    /** Index just past the closing quote, or -1 if the string is not closed (a one-line string closes at the newline). */
    private static int stringEnd(String s, int i, char q, boolean triple) {
        while (i < s.length()) {
            char c = s.charAt(i);
            if (c == '\\') {
                i += 2;
                continue;
            }
            if (!triple && c == '\n') return -1;
            if (c == q && (!triple || s.startsWith(String.valueOf(q).repeat(3), i))) return i + (triple ? 3 : 1);
            i++;
        }
        return -1;
    }
}
