package dev.trapdoor.shell;

import org.jline.reader.CompletingParsedLine;
import org.jline.reader.EOFError;
import org.jline.reader.ParsedLine;
import org.jline.reader.Parser;
import org.jline.reader.SyntaxError;

import java.util.ArrayList;
import java.util.List;

/**
 * The line editor's view of input: on Enter, an unfinished Groovy/JS construct (open braces,
 * parentheses, strings) asks for another line; for completion, the word under the cursor is the
 * member chain being typed ({@code vm.vcpu.ea}), or a file name after {@code :load}.
 */
final class ReplParser implements Parser {
    private final Session session;

    ReplParser(Session session) {
        this.session = session;
    }

    @Override
    public ParsedLine parse(String line, int cursor, ParseContext context) throws SyntaxError {
        if ((context == ParseContext.ACCEPT_LINE || context == ParseContext.SECONDARY_PROMPT) && incomplete(line)) {
            throw new EOFError(-1, -1, "incomplete input", "");
        }
        return Words.of(line, cursor);
    }

    private boolean incomplete(String line) {
        if (line.isBlank() || CommandLine.parse(line) != null) return false;
        try {
            return session.engine().isIncomplete(line);
        } catch (RuntimeException | LinkageError e) {
            return false; // evaluation will say what is wrong
        }
    }

    @Override
    public boolean isEscapeChar(char ch) {
        return false;
    }

    /** The line split for completion: the words before the cursor, the last being the one completed. */
    record Words(String line, int cursor, List<String> words, String word) implements CompletingParsedLine {
        static Words of(String line, int cursor) {
            int c = Math.min(Math.max(cursor, 0), line.length());
            String before = line.substring(0, c);
            String word;
            if (before.startsWith(":load ")) {
                word = before.substring(6).stripLeading();
            } else {
                word = before.substring(chainStart(before));
            }
            List<String> words = new ArrayList<>();
            for (String w : before.substring(0, before.length() - word.length()).trim().split("\\s+")) if (!w.isEmpty()) words.add(w);
            words.add(word);
            return new Words(line, c, List.copyOf(words), word);
        }

        /** Where the member chain ending at the end of s starts: identifiers, dots and (balanced) argument lists. */
        static int chainStart(String s) {
            int i = s.length();
            while (i > 0) {
                char ch = s.charAt(i - 1);
                if (Character.isJavaIdentifierPart(ch) || ch == '.') {
                    i--;
                } else if (ch == ')') {
                    int depth = 0;
                    int j = i - 1;
                    for (; j >= 0; j--) {
                        if (s.charAt(j) == ')') depth++;
                        else if (s.charAt(j) == '(' && --depth == 0) break;
                    }
                    if (j < 0) break;
                    i = j;
                } else {
                    break;
                }
            }
            return i;
        }

        @Override public int wordIndex() { return words.size() - 1; }
        @Override public int wordCursor() { return word.length(); }
        @Override public CharSequence escape(CharSequence candidate, boolean complete) { return candidate; }
        @Override public int rawWordCursor() { return word.length(); }
        @Override public int rawWordLength() { return word.length(); }
    }
}
