package dev.trapdoor.shell;

import groovy.lang.GroovyRuntimeException;
import org.codehaus.groovy.control.MultipleCompilationErrorsException;
import org.codehaus.groovy.control.messages.ExceptionMessage;
import org.codehaus.groovy.control.messages.Message;
import org.codehaus.groovy.control.messages.SyntaxErrorMessage;
import org.codehaus.groovy.runtime.InvokerInvocationException;
import org.codehaus.groovy.syntax.SyntaxException;
import org.graalvm.polyglot.PolyglotException;
import org.graalvm.polyglot.SourceSection;

import java.io.UncheckedIOException;
import java.util.Set;

/**
 * One clear line for a failed script: the message, and where in the script when that is known.
 * Stack traces are for bugs in Trapdoor, not for a typo at the prompt.
 */
final class ErrorLine {
    private static final int MAX = 400;
    /** Exceptions whose message says it all; others get their class name in front. */
    private static final Set<Class<?>> SELF_EXPLAINING = Set.of(IllegalArgumentException.class,
            IllegalStateException.class, UncheckedIOException.class, UnsupportedOperationException.class);

    private ErrorLine() {}

    /**
     * @param t          what the script threw
     * @param sourceName the name the script was compiled under (a file name or the REPL's input name)
     * @param showLine   whether a line number helps (multi-line input or a file)
     */
    static String describe(Throwable t, String sourceName, boolean showLine) {
        if (t instanceof MultipleCompilationErrorsException m) return groovyCompile(m, showLine);
        if (t instanceof PolyglotException p) return polyglot(p, showLine);
        Throwable root = unwrap(t);
        if (root instanceof PolyglotException p) return polyglot(p, showLine);
        String where = showLine ? groovyLine(t, sourceName) : "";
        return clip(message(root) + where);
    }

    private static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof InvokerInvocationException || c instanceof java.lang.reflect.InvocationTargetException
                || c instanceof java.lang.reflect.UndeclaredThrowableException) && c.getCause() != null) c = c.getCause();
        return c;
    }

    static String message(Throwable t) {
        String msg = t.getMessage();
        if (msg == null || msg.isBlank()) return t.getClass().getSimpleName();
        msg = oneLine(msg);
        if (SELF_EXPLAINING.contains(t.getClass()) || t instanceof GroovyRuntimeException) return msg;
        return t.getClass().getSimpleName() + ": " + msg;
    }

    private static String groovyCompile(MultipleCompilationErrorsException m, boolean showLine) {
        Message first = m.getErrorCollector().getErrorCount() > 0 ? m.getErrorCollector().getError(0) : null;
        if (first instanceof SyntaxErrorMessage s) {
            SyntaxException se = s.getCause();
            String where = showLine || se.getLine() > 1 ? " (line " + se.getLine() + ", column " + se.getStartColumn() + ")" : "";
            return clip("syntax error: " + oneLine(se.getOriginalMessage()) + where);
        }
        if (first instanceof ExceptionMessage em) return clip("compile error: " + message(em.getCause()));
        String text = m.getMessage().replaceFirst("(?s)^startup failed:\\s*", "").replaceFirst("(?s)\\s*\\d+ errors?\\s*$", "");
        return clip("compile error: " + oneLine(text));
    }

    /** The line in the script (or the first script frame) where a Groovy exception came from. */
    private static String groovyLine(Throwable t, String sourceName) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getLineNumber() > 0 && e.getFileName() != null && e.getFileName().equals(sourceName)) {
                return " (" + (sourceName.startsWith("<") ? "" : sourceName + ":") + "line " + e.getLineNumber() + ")";
            }
        }
        return "";
    }

    private static String polyglot(PolyglotException p, boolean showLine) {
        String msg;
        if (p.isHostException()) {
            Throwable h = p.asHostException();
            msg = h instanceof ScriptExit ? h.getMessage() : message(unwrap(h));
        } else {
            msg = p.getMessage() == null ? "error" : p.getMessage().lines().findFirst().orElse("error");
            if (p.isSyntaxError()) return clip(msg);
        }
        SourceSection at = p.getSourceLocation();
        if (at == null) {
            for (PolyglotException.StackFrame f : p.getPolyglotStackTrace()) {
                if (f.isGuestFrame() && f.getSourceLocation() != null) {
                    at = f.getSourceLocation();
                    break;
                }
            }
        }
        if (at != null && at.isAvailable() && (showLine || at.getStartLine() > 1)) {
            String name = at.getSource().getName();
            msg += " (" + (name.startsWith("<") ? "" : name + ":") + "line " + at.getStartLine() + ")";
        }
        return clip(msg);
    }

    private static String oneLine(String s) {
        return s.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    private static String clip(String s) {
        return s.length() <= MAX ? s : s.substring(0, MAX - 3) + "...";
    }
}
